"""The base of every Lifeline Celery task.

`ReliableTask.delay_on_commit` publishes after the transaction commits and never
breaks the request that committed: with the broker unreachable the committed work
stands and the failure is logged (each app's sweeper finds work still owed). A
database error raised by a dropped connection (failover, restart) closes the worker's
connections, so the next query opens a fresh one, and retries with backoff.
"""

from __future__ import annotations

import functools
import logging

from celery.contrib.django.task import DjangoTask
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, connections, transaction
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

logger = logging.getLogger(__name__)

DB_RETRY_BACKOFF = 2  # a dropped connection usually reconnects at once
# The longest wait between retries. A retry waits in the worker unacknowledged, so it
# must stay under the broker's visibility timeout minus the hard time limit (600 s -
# 150 s), or Redis would hand a second copy to another worker.
RETRY_BACKOFF_MAX = 5 * 60
DATABASE_ERRORS = (DatabaseOperationalError, InterfaceError)
# Publishing while the broker is down fails after these quick retries instead of
# holding up the request that committed the work.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}


class ReliableTask(DjangoTask):
    """A task whose `delay_on_commit` never breaks the request that committed, and
    that retries transient database errors.

    If the broker is unreachable when the transaction commits, the committed work
    stands and the failure is logged; the sweeper finds the work that is still owed.
    A database error that a dropped connection raises closes the worker's connections
    (the next query opens a fresh one) and retries with backoff.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.enqueue, *args, **kwargs))

    def enqueue(self, *args, **kwargs) -> None:
        """Queues the task now, logging (not raising) a broker that is unreachable.

        For callers that already run after the commit, such as a domain event's
        handler (core.events): `delay_on_commit` is this, deferred to the commit.
        """
        try:
            self.apply_async(args, kwargs, retry_policy=PUBLISH_RETRY_POLICY)
        except BrokerOperationalError:
            logger.warning(
                "Broker unreachable: %s%r not queued; the sweeper will catch up.",
                self.name,
                args,
                exc_info=True,
            )

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            if self.request.called_directly:
                raise
            connections.close_all()
            countdown = get_exponential_backoff_interval(
                factor=DB_RETRY_BACKOFF,
                retries=self.request.retries,
                maximum=RETRY_BACKOFF_MAX,
                full_jitter=True,
            )
            logger.warning(
                "%s%r: database error, retry %d in %ss: %s",
                self.name,
                args,
                self.request.retries + 1,
                countdown,
                exc,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
