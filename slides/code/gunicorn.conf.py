"""Unicorn's role in Python: gunicorn with a fixed number of worker processes.

Run: ``gunicorn -c gunicorn.conf.py app:app`` from slides/code. The blocking
demo runs this very file (``demo/runtime/gunicorn_conf.py`` loads it).
"""

# region gunicorn
bind = "127.0.0.1:8000"
workers = 2          # the story's 2 workers: two requests at a time
timeout = 30         # a worker silent for 30 s is killed (WORKER TIMEOUT)
# endregion
