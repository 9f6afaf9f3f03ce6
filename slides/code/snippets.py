"""The Sidekiq RailsCast's example in Flask: paste code, a job highlights it."""

from flask import Flask, redirect, request, url_for
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from tasks import highlight

app = Flask(__name__)
app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"


def redis():
    return Redis.from_url(app.config["REDIS_URL"])


# region create
@app.post("/snippets")
def create_snippet():
    code, language = request.form["code"], request.form.get("language", "python")
    job = Queue(connection=redis()).enqueue(highlight, code, language)
    return redirect(url_for("show_snippet", job_id=job.id), code=303)
# endregion


# region show
@app.get("/snippets/<job_id>")
def show_snippet(job_id):
    try:
        job = Job.fetch(job_id, connection=redis())
    except NoSuchJobError:           # gone after its result_ttl (500 s by default)
        return "This snippet has expired.", 404
    status = job.get_status()
    if status == JobStatus.FINISHED:
        return f"<pre>{job.return_value()}</pre>"
    if status == JobStatus.FAILED:
        return "Could not highlight this one.", 500
    return "Highlighting... refresh in a moment.", 202
# endregion
