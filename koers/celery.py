import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koers.settings")

app = Celery("koers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one beat schedule of the project (DESIGN.md "Jobs"). Entries are added by the
# issues that bring the tasks; keep them all here.
app.conf.beat_schedule = {}
