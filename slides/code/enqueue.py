"""Enqueue jobs with RQ: now, later, with retries."""

from datetime import datetime, timedelta, timezone

from redis import Redis
from rq import Queue, Retry

from tasks import count_words, flaky


def enqueue_examples(redis_url):
    """Every way the talk enqueues a job; returns the jobs."""
    # region enqueue
    queue = Queue("default", connection=Redis.from_url(redis_url))
    job = queue.enqueue(count_words, "background jobs keep requests fast")
    print(job.id, job.get_status())        # ... queued
    # endregion
    # region retry
    retried = queue.enqueue(flaky, 2, retry=Retry(max=3, interval=[2, 4, 8]))
    # endregion
    # region schedule
    later = queue.enqueue_in(timedelta(seconds=30), count_words, "in thirty seconds")
    at_noon = queue.enqueue_at(datetime(2030, 1, 1, 12, tzinfo=timezone.utc), count_words, "at noon")
    # endregion
    return job, retried, later, at_noon
