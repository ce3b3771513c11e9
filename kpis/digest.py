"""The weekly digest: per rep and head, the status changes of their KPIs since the last
digest and their alerts, with links back to the pages. Opt out in the profile
(Membership.weekly_digest). The statuses sent are kept (DigestLog) for the next comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpis.department import department_kpi_set, is_breakdown_only, placement
from kpis.metrics import CATALOGUE
from kpis.models import DigestLog, Kpi
from kpis.selectors import KpiValue, kpi_values
from kpis.status import RED
from portal.models import DepartmentMember, Membership, Role, Tenant

DIGEST_ROLES = (Role.REP, Role.HEAD)
REP_KPIS = 6
ALERT_KINDS = ("returns_only", "online_drop", "koester_unvisited")
ALERTS_LISTED = 5


@dataclass
class Digest:
    membership: Membership
    values: list[KpiValue] = field(default_factory=list)
    changes: list[tuple[KpiValue, str]] = field(default_factory=list)  # (now, status before)
    off_track: list[KpiValue] = field(default_factory=list)
    alerts: list = field(default_factory=list)  # customer signals
    alert_count: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    first: bool = True

    @property
    def is_empty(self) -> bool:
        return not (self.values or self.alerts)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def digest_placements(
    *, tenant: Tenant, membership: Membership, kpis: list[Kpi]
) -> list[tuple[Kpi, str, str]]:
    """What the member follows: a head their departments' KPIs; a rep their own values of
    the KPIs measured per rep, and the KPIs they own."""
    if membership.role == Role.HEAD:
        out: dict[tuple[int, str, str], tuple[Kpi, str, str]] = {}
        departments = [
            dm.department
            for dm in DepartmentMember.objects.filter(
                tenant=tenant, membership=membership
            ).select_related("department")
        ]
        members = {}
        for dm in DepartmentMember.objects.filter(tenant=tenant, department__in=departments):
            members.setdefault(dm.department_id, set()).add(dm.membership_id)
        for department in departments:
            for kpi in department_kpi_set(
                kpis=kpis, department=department, member_ids=members.get(department.pk, set())
            ):
                where = placement(kpi, department)
                out[(kpi.pk, *where)] = (kpi, *where)
        return list(out.values())
    per_rep = [
        k
        for k in kpis
        if not is_breakdown_only(k) and "rep" in getattr(CATALOGUE.get(k.metric_key), "scopes", ())
    ][:REP_KPIS]
    out_rep = [(k, "rep", str(membership.pk)) for k in per_rep]
    out_rep += [
        (k, "company", "")
        for k in kpis
        if k.owner_id == membership.pk and k not in per_rep and not is_breakdown_only(k)
    ]
    return out_rep


def digest_build(*, tenant: Tenant, membership: Membership, as_of: date) -> Digest:
    from customers.models import Signal

    digest = Digest(membership=membership)
    kpis = list(Kpi.objects.filter(tenant=tenant).order_by("position", "name"))
    placements = digest_placements(tenant=tenant, membership=membership, kpis=kpis)
    values = kpi_values(tenant=tenant, placements=placements, as_of=as_of)
    digest.values = [values[(k.pk, scope, member)] for k, scope, member in placements]
    digest.statuses = {f"{v.kpi.pk}:{v.scope}:{v.member}": v.status.code for v in digest.values}
    last = DigestLog.objects.filter(tenant=tenant, membership=membership).first()
    if last is not None:
        digest.first = False
        for v in digest.values:
            before = last.statuses.get(f"{v.kpi.pk}:{v.scope}:{v.member}")
            if before is not None and before != v.status.code:
                digest.changes.append((v, before))
    digest.off_track = [v for v in digest.values if v.status.code == RED]
    signals = Signal.objects.filter(tenant=tenant, kind__in=ALERT_KINDS)
    if membership.role == Role.REP:
        signals = signals.filter(customer__account_manager=membership)
    else:
        signals = signals.filter(
            customer__department__in=DepartmentMember.objects.filter(
                tenant=tenant, membership=membership
            ).values("department_id")
        )
    digest.alert_count = signals.count()
    digest.alerts = list(signals.select_related("customer").order_by("kind", "id")[:ALERTS_LISTED])
    return digest


def digest_send(*, tenant: Tenant, membership: Membership, as_of: date) -> bool:
    """Build, send and log one member's digest; False when there is nothing to tell or the
    member opted out or has no e-mail address."""
    if not membership.weekly_digest or not membership.user.email:
        return False
    if membership.role not in DIGEST_ROLES:
        return False
    digest = digest_build(tenant=tenant, membership=membership, as_of=as_of)
    if digest.is_empty:
        return False
    slug = tenant.slug
    home = "portal:department" if membership.role == Role.HEAD else "portal:portfolio"
    context = {
        "tenant": tenant,
        "digest": digest,
        "as_of": as_of,
        "home_url": absolute(reverse(home, kwargs={"tenant_slug": slug})),
        "profile_url": absolute(reverse("kpis:profile", kwargs={"tenant_slug": slug})),
        "kpi_urls": {
            v.kpi.pk: absolute(
                reverse("kpis:detail", kwargs={"tenant_slug": slug, "kpi_id": v.kpi.pk})
            )
            for v in digest.values
        },
        "customer_urls": {
            s.customer_id: absolute(
                reverse(
                    "customers:detail", kwargs={"tenant_slug": slug, "customer_id": s.customer_id}
                )
            )
            for s in digest.alerts
        },
    }
    with translation.override(tenant.locale):
        subject = _("Koers weekly: %(changes)s status changes, %(alerts)s alerts") % {
            "changes": len(digest.changes),
            "alerts": digest.alert_count,
        }
        text = render_to_string("kpis/email/digest.txt", context)
        html = render_to_string("kpis/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[membership.user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    DigestLog.objects.create(
        tenant=tenant, membership=membership, statuses=digest.statuses, sent_at=timezone.now()
    )
    return True


def digests_send(*, tenant: Tenant, as_of: date) -> int:
    """Every opted-in rep and head of the tenant: the number of digests sent."""
    members = Membership.objects.filter(
        tenant=tenant, role__in=DIGEST_ROLES, weekly_digest=True
    ).select_related("user")
    return sum(digest_send(tenant=tenant, membership=m, as_of=as_of) for m in members)


def board_packs_send(*, tenant: Tenant, month: date, today: date) -> int:
    """E-mail the month's board pack to every board member with an address."""
    from kpis.boardpack import board_pack_pdf

    recipients = [
        m.user.email
        for m in Membership.objects.filter(tenant=tenant, role=Role.BOARD).select_related("user")
        if m.user.email
    ]
    if not recipients:
        return 0
    pdf = board_pack_pdf(tenant=tenant, month=month, today=today)
    url = absolute(reverse("portal:board", kwargs={"tenant_slug": tenant.slug}))
    with translation.override(tenant.locale):
        subject = _("Board pack %(month)s · %(tenant)s") % {
            "month": month.strftime("%Y-%m"),
            "tenant": tenant.name,
        }
        body = render_to_string(
            "kpis/email/board_pack.txt", {"tenant": tenant, "month": month, "url": url}
        )
    message = EmailMultiAlternatives(subject, body, to=recipients)
    message.attach(f"board-pack-{tenant.slug}-{month:%Y-%m}.pdf", pdf, "application/pdf")
    message.send()
    return len(recipients)
