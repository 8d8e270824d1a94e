"""The Celery application. Configured from Django settings (CELERY_ namespace).

Run one beat process in production and any number of workers; never `worker -B`.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lifeline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
