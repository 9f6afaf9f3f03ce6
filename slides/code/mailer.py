"""Send a welcome email from a job: Python's email + smtplib (ActionMailer's job)."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape


# region welcome
def send_welcome_email(address, name, smtp_host="127.0.0.1", smtp_port=25):
    message = EmailMessage()
    message["From"] = "Oh My Queue <hello@ohmyqueue.test>"
    message["To"] = address
    message["Subject"] = f"Welcome, {name}!"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="ohmyqueue.test")
    message.set_content(f"Hi {name},\n\nYour account is ready.\n")
    message.add_alternative(f"<p>Hi <b>{escape(name)}</b>,</p><p>Your account is ready.</p>",
                            subtype="html")
    with smtplib.SMTP(smtp_host, smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return message["Message-ID"]
# endregion
