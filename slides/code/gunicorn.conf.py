"""Unicorn's role in Python: gunicorn with a fixed number of worker processes.

Run: ``gunicorn -c slides/code/gunicorn.conf.py app:app`` (from slides/code).
"""

# region gunicorn
bind = "127.0.0.1:8000"
workers = 2          # like the seed's "2 Unicorn workers": two requests at a time
timeout = 30         # the 30-second request timeout from the slides
# endregion
