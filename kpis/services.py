"""Write side of the KPI app: targets, manual values, check-ins, conclusions, recompute jobs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kpis.models import BoardConclusion, CheckIn, Kpi, Measurement, Scope, Target
from kpis.periods import add_months, is_closed
from kpis.recompute import RecomputeResult, measurements_recompute
from portal.locks import LockBusy
from portal.models import JobRun, Tenant
from portal.services import jobrun_finish, jobrun_progress, jobrun_start


def target_set(
    *,
    tenant: Tenant,
    kpi: Kpi,
    scope: str,
    member: str,
    grain: str,
    period_start: date,
    minimum: Decimal,
    stretch: Decimal,
    user=None,
) -> Target:
    """Create or change one target; minimum and stretch must agree with the KPI's direction."""
    if kpi.direction == Kpi.Direction.UP and minimum > stretch:
        raise ValidationError(
            {
                "minimum": gettext(
                    "For a KPI where higher is better, the minimum cannot exceed the stretch."
                )
            }
        )
    if kpi.direction == Kpi.Direction.DOWN and minimum < stretch:
        raise ValidationError(
            {
                "minimum": gettext(
                    "For a KPI where lower is better, the minimum cannot be below the stretch."
                )
            }
        )
    target, _ = Target.objects.update_or_create(
        tenant=tenant,
        kpi=kpi,
        scope=scope,
        member=member,
        grain=grain,
        period_start=period_start,
        defaults={
            "minimum": minimum,
            "stretch": stretch,
            "updated_by": user,
            "updated_at": timezone.now(),
        },
    )
    return target


@transaction.atomic
def target_split(
    *,
    tenant: Tenant,
    kpi: Kpi,
    grain: str,
    period_start: date,
    to_scope: str,
    members: list[str],
    method: str = "even",
    user=None,
) -> list[Target]:
    """Split the company target of a period over departments or reps.

    `even`: equal parts. `last_year`: in proportion to each member's measurement of the same
    period last year (even where there is no history). Only additive KPIs split; for ratios
    every member gets the company target.
    """
    company = Target.objects.filter(
        tenant=tenant,
        kpi=kpi,
        scope=Scope.COMPANY,
        member="",
        grain=grain,
        period_start=period_start,
    ).first()
    if company is None:
        raise ValidationError(gettext("Set a company target for this period first."))
    if not members:
        raise ValidationError(gettext("There is nobody to split the target over."))
    from kpis.metrics import CATALOGUE

    metric = CATALOGUE.get(kpi.metric_key)
    additive = metric.additive if metric else False
    weights = {m: Decimal(1) for m in members}
    if additive and method == "last_year":
        history = dict(
            Measurement.objects.filter(
                tenant=tenant,
                kpi=kpi,
                scope=to_scope,
                member__in=members,
                grain=grain,
                period_start=add_months(period_start, -12),
            ).values_list("member", "value")
        )
        if sum(max(v or 0, 0) for v in history.values()) > 0:
            weights = {m: Decimal(str(max(history.get(m) or 0, 0))) for m in members}
    total = sum(weights.values())
    targets = []
    for member in members:
        share = weights[member] / total if additive else Decimal(1)
        targets.append(
            target_set(
                tenant=tenant,
                kpi=kpi,
                scope=to_scope,
                member=member,
                grain=grain,
                period_start=period_start,
                minimum=(company.minimum * share).quantize(Decimal("0.0001")),
                stretch=(company.stretch * share).quantize(Decimal("0.0001")),
                user=user,
            )
        )
    return targets


def manual_value_set(
    *,
    tenant: Tenant,
    kpi: Kpi,
    scope: str,
    member: str,
    grain: str,
    period_start: date,
    value: float | None,
    user,
    allow_closed: bool = False,
) -> Measurement:
    """An owner records the value of a manual KPI for a period."""
    if not kpi.is_manual:
        raise ValidationError(
            gettext("This KPI is computed from data; its values cannot be typed in.")
        )
    if (
        is_closed(period_start, grain, tenant.period_close_day, timezone.localdate())
        and not allow_closed
    ):
        raise ValidationError(gettext("This period is closed; ask an admin to change it."))
    with transaction.atomic():
        # Measurement.kpi has no database constraint (kpis/models.py): the KPI row is locked
        # against a concurrent delete instead, and one deleted since the page loaded is refused.
        if not list(
            Kpi.objects.select_for_update(no_key=True).filter(tenant=tenant, pk=kpi.pk).values("pk")
        ):
            raise ValidationError(
                gettext("This KPI has been deleted meanwhile; nothing was saved.")
            )
        measurement, _ = Measurement.objects.update_or_create(
            tenant=tenant,
            kpi=kpi,
            scope=scope,
            member=member,
            grain=grain,
            period_start=period_start,
            defaults={
                "value": value,
                "entered_by": user,
                "computed_at": timezone.now(),
                "job": None,
            },
        )
    return measurement


def checkin_add(*, tenant: Tenant, kpi: Kpi, action: str, comment: str, user) -> CheckIn:
    if action not in CheckIn.Action.values:
        raise ValidationError({"action": gettext("Choose start, stop or continue.")})
    if not comment.strip():
        raise ValidationError({"comment": gettext("Say what you will start, stop or continue.")})
    return CheckIn.objects.create(
        tenant=tenant, kpi=kpi, action=action, comment=comment.strip(), author=user
    )


def board_conclusion_save(*, tenant: Tenant, month: date, text: str, user) -> BoardConclusion:
    """Save the month's conclusions as a new version (the history keeps every version)."""
    if not text.strip():
        raise ValidationError({"text": gettext("Write at least one conclusion.")})
    return BoardConclusion.objects.create(
        tenant=tenant, month=month.replace(day=1), text=text.strip(), author=user
    )


def recompute_job_create(*, tenant: Tenant, user=None, force_closed: bool = False) -> JobRun:
    """Queue a recompute for the tenant (after the surrounding transaction commits)."""
    job = JobRun.objects.create(
        tenant=tenant, kind="recompute", triggered_by=user, counts={"force_closed": force_closed}
    )
    from kpis.tasks import recompute_tenant_task

    transaction.on_commit(
        lambda: recompute_tenant_task.delay(tenant.pk, job_id=job.pk, force_closed=force_closed)
    )
    return job


def recompute_run(
    *,
    tenant: Tenant,
    job: JobRun,
    as_of: date | None = None,
    force_closed: bool = False,
    lock_wait: float = 0,
) -> RecomputeResult | None:
    """Run a recompute under its JobRun: progress, counts, and a clear end state."""
    jobrun_start(job=job, total=3)
    try:
        result = measurements_recompute(
            tenant=tenant,
            as_of=as_of,
            force_closed=force_closed,
            job=job,
            progress=lambda done, total: jobrun_progress(job=job, done=done, total=total),
            lock_wait=lock_wait,
        )
    except LockBusy:
        jobrun_finish(job=job, error="Another recompute of this company is running.", skipped=True)
        return None
    except Exception as exc:
        jobrun_finish(job=job, error=f"{type(exc).__name__}: {exc}")
        raise
    jobrun_finish(job=job, counts=result.as_counts())
    return result


@transaction.atomic
def kpi_department_edit(
    *,
    tenant: Tenant,
    kpi: Kpi,
    owner,
    scope: str,
    member: str,
    period_start: date,
    minimum: Decimal | None,
    stretch: Decimal | None,
    user,
) -> Kpi:
    """A head changes a KPI's owner and this period's band in one go: all or nothing."""
    if owner is not None and owner.tenant_id != tenant.pk:
        raise ValidationError({"owner": gettext("Choose a member of this company.")})
    if (owner.pk if owner else None) != kpi.owner_id:
        kpi.owner = owner
        kpi.save(update_fields=["owner"])
    if minimum is not None and stretch is not None:
        target_set(
            tenant=tenant,
            kpi=kpi,
            scope=scope,
            member=member,
            grain=kpi.grain,
            period_start=period_start,
            minimum=minimum,
            stretch=stretch,
            user=user,
        )
    return kpi


def kpi_mark_reviewed(*, tenant: Tenant, kpi: Kpi, user, on: date) -> Kpi:
    """Record who reviewed the KPI (and its measurement plan) and when; the next review is
    due one interval later."""
    kpi.reviewed_at = timezone.now()
    kpi.reviewed_by = user
    kpi.review_date = add_months(on, kpi.review_interval_months).replace(day=min(on.day, 28))
    kpi.save(update_fields=["reviewed_at", "reviewed_by", "review_date"])
    return kpi


def digest_preference_set(*, membership, weekly_digest: bool):
    """A member switches the weekly digest e-mail on or off."""
    membership.weekly_digest = weekly_digest
    membership.save(update_fields=["weekly_digest"])
    return membership
