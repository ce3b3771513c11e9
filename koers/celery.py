import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koers.settings")

app = Celery("koers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one beat schedule of the project (DESIGN.md "Jobs"). Entries are added by the
# issues that bring the tasks; keep them all here.
from celery.schedules import crontab  # noqa: E402

app.conf.beat_schedule = {
    "nightly-recompute": {
        "task": "kpis.recompute_all_tenants",
        "schedule": crontab(hour=2, minute=30),
    },
    "weekly-digests": {
        "task": "kpis.weekly_digests_all_tenants",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
    },
    "monthly-board-pack": {
        "task": "kpis.board_packs_all_tenants",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
    },
}
