"""The process runtime: ``serve`` and its supervisor, and what the processes it
starts run (workers, the SMTP sink, the cron scheduler, ``child``).
"""
