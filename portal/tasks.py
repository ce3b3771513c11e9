"""Celery plumbing shared by every app: the tenant task base (STYLE.md §3, §6)."""

from __future__ import annotations

from collections.abc import Callable

from celery import Task
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerError

from portal.models import JobRun, Tenant
from portal.tenancy import acting_as, tenant_context

QUEUE_DOWN = _(
    "The job queue could not be reached, so nothing was started. Try again in a few minutes; "
    "if it keeps happening, ask your administrator to check the task queue (Redis)."
)

# task name -> what to mark as failed when its message cannot be queued (args, kwargs, message).
EnqueueFailureHandler = Callable[[tuple, dict, str], None]
_enqueue_failure_handlers: dict[str, EnqueueFailureHandler] = {}


class QueueUnavailable(Exception):
    """A task could not be queued (the broker is down). Its JobRun is marked failed; the
    tenant middleware answers the request with a clear 503 page."""


def on_enqueue_failure(
    *task_names: str,
) -> Callable[[EnqueueFailureHandler], EnqueueFailureHandler]:
    """Register what to mark failed when one of these tasks cannot be queued."""

    def register(handler: EnqueueFailureHandler) -> EnqueueFailureHandler:
        for name in task_names:
            _enqueue_failure_handlers[name] = handler
        return handler

    return register


class TenantTask(Task):
    """Base for tenant tasks: the first argument is a tenant id; the body runs in its scope.

    Tasks take ids, never model instances. Acks late with prefetch 1 (settings), so a task
    whose worker dies is redelivered; bodies must therefore be idempotent.

    When the broker cannot be reached, queueing raises `QueueUnavailable` instead of the
    broker's error, after marking the task's JobRun (the `job_id` keyword) and whatever a
    handler registered with `on_enqueue_failure` names as failed: no job stays "queued".
    """

    abstract = True
    acks_late = True
    autoretry_for = (DatabaseError,)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5

    def __call__(self, tenant_id: int, *args, **kwargs):
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant), acting_as(label=f"task {self.name}"):
            return self.run(tenant_id, *args, **kwargs)

    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except BrokerError as exc:
            self._enqueue_failed(tuple(args or ()), dict(kwargs or {}))
            raise QueueUnavailable(str(QUEUE_DOWN)) from exc

    def _enqueue_failed(self, args: tuple, kwargs: dict) -> None:
        if not args:
            return
        message = str(QUEUE_DOWN)
        tenant = Tenant.objects.get(pk=args[0])
        with tenant_context(tenant):
            if kwargs.get("job_id"):
                from portal.services import jobrun_finish

                job = JobRun.objects.filter(pk=kwargs["job_id"]).first()
                if job is not None and job.status == JobRun.Status.QUEUED:
                    jobrun_finish(job=job, error=message)
            handler = _enqueue_failure_handlers.get(self.name)
            if handler is not None:
                handler(args, kwargs, message)
