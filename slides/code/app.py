"""The talk's Flask app: the same slow work done inline and in the background."""

from flask import Flask, jsonify
from redis import Redis
from rq import Queue

from tasks import count_words

app = Flask(__name__)
app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"


# region inline
@app.post("/report/inline")
def report_inline():
    words = count_words("a long report " * 1000)   # the request waits for this
    return jsonify(words=words)
# endregion


# region background
@app.post("/report/background")
def report_background():
    queue = Queue(connection=Redis.from_url(app.config["REDIS_URL"]))
    job = queue.enqueue(count_words, "a long report " * 1000)
    return jsonify(job=job.id), 202                 # answer now, work later
# endregion
