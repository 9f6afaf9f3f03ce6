"""A recurring job with RQ's own cron scheduler (Sidetiq's job, in RQ).

Run it with ``rq cron slides/code/cron_config.py --url redis://...``; any
worker on the ``default`` queue runs what it enqueues.
"""

# region cron
from rq import cron

from tasks import count_words

cron.register(count_words, queue_name="default", args=("tick tock",), interval=60)
# endregion
