"""The story's signup, fixed: answer at once, send the welcome email from a job."""

from flask import Flask, request
from redis import Redis
from rq import Queue, Retry

from mailer import send_welcome_email

app = Flask(__name__)
app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", SMTP_PORT=25)


# region signup
@app.post("/signup")
def signup():
    email, name = request.form["email"], request.form["name"]
    # ... save the user in the real database here ...
    queue = Queue(connection=Redis.from_url(app.config["REDIS_URL"]))
    queue.enqueue(send_welcome_email, email, name,
                  smtp_port=app.config["SMTP_PORT"],
                  retry=Retry(max=3, interval=[10, 30, 60]))
    return "Welcome! Check your inbox.", 202
# endregion
