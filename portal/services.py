"""Write side of the portal app: tenants, members, glossary, job runs."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from portal.models import Department, GlossaryTerm, JobRun, Membership, Role, Tenant
from portal.tenancy import tenant_context


@transaction.atomic
def tenant_create(
    *,
    slug: str,
    name: str,
    currency: str = "EUR",
    locale: str = "nl",
    timezone_name: str = "Europe/Amsterdam",
) -> tuple[Tenant, bool]:
    """Create a tenant, or return the existing one with that slug (idempotent)."""
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None:
        return existing, False
    tenant = Tenant(
        slug=slug, name=name, currency=currency.upper(), locale=locale, timezone=timezone_name
    )
    tenant.full_clean()
    tenant.save()
    return tenant, True


@transaction.atomic
def member_add(
    *,
    tenant: Tenant,
    username: str,
    role: str,
    department_names: list[str] | None = None,
    email: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> tuple[Membership, bool]:
    """Add a user to a tenant with a role (creating user and departments as needed).

    Idempotent: running it again updates role, departments, e-mail and password.
    """
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    User = get_user_model()
    User.username_validator(username)
    if email:
        validate_email(email)
    user, _ = User.objects.get_or_create(username=username)
    changed = []
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if password:
        user.set_password(password)
        changed.append("password")
    elif not user.password:
        user.set_unusable_password()
        changed.append("password")
    if changed:
        user.save(update_fields=changed)

    with tenant_context(tenant):
        membership, created = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": role}
        )
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if department_names:
            departments = [
                Department.objects.get_or_create(tenant=tenant, name=name)[0]
                for name in department_names
            ]
            membership.departments.set(departments, through_defaults={"tenant": tenant})
            if role == Role.HEAD:
                for department in departments:
                    if department.head_id is None:
                        department.head = membership
                        department.save(update_fields=["head"])
    return membership, created


def glossary_term_save(
    *, tenant: Tenant, term: GlossaryTerm | None, name: str, definition: str, user
) -> GlossaryTerm:
    term = term or GlossaryTerm(tenant=tenant)
    term.term = name.strip()
    term.definition = definition.strip()
    term.updated_by = user
    term.full_clean()
    term.save()
    return term


def jobrun_start(*, job: JobRun, total: int = 0) -> JobRun:
    job.status = JobRun.Status.RUNNING
    job.started_at = timezone.now()
    job.progress_total = total
    job.save(update_fields=["status", "started_at", "progress_total"])
    return job


def jobrun_progress(*, job: JobRun, done: int, total: int | None = None) -> None:
    job.progress_done = done
    fields = ["progress_done"]
    if total is not None:
        job.progress_total = total
        fields.append("progress_total")
    job.save(update_fields=fields)


def jobrun_finish(
    *, job: JobRun, counts: dict | None = None, error: str = "", skipped: bool = False
) -> JobRun:
    if skipped:
        job.status = JobRun.Status.SKIPPED
    else:
        job.status = JobRun.Status.FAILED if error else JobRun.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.counts = counts or job.counts
    job.error = error
    if not error and not skipped:
        job.progress_done = job.progress_total
    job.save(update_fields=["status", "finished_at", "counts", "error", "progress_done"])
    return job
