"""The talk's Flask app: the same slow work done inline and in the background.

Run it from this folder with gunicorn: ``gunicorn -c gunicorn.conf.py app:app``
(the blocking demo runs exactly that). REDIS_URL says where Redis is.
"""

import os

from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue

from tasks import count_words

app = Flask(__name__)
app.config["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


# region inline
@app.post("/report/inline")
def report_inline():
    seconds = request.args.get("seconds", 5.0, type=float)
    words = count_words("a long report " * 1000, seconds)   # the request waits for this
    return jsonify(words=words)
# endregion


# region background
@app.post("/report/background")
def report_background():
    seconds = request.args.get("seconds", 5.0, type=float)
    queue = Queue(connection=Redis.from_url(app.config["REDIS_URL"]))
    job = queue.enqueue(count_words, "a long report " * 1000, seconds)
    return jsonify(job=job.id), 202                 # answer now, work later
# endregion
