"""What a job may touch in a Flask app: run it inside an app context, hand it ids.

The worker imports ``receipts.mark_paid`` by name; it has no request and no
app of its own, so the job makes one (the app factory) and enters its
context, where ``current_app`` and ``g`` work as in a view.
"""

import os
import sqlite3

from flask import Flask, current_app, g


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.environ.get("DATABASE", "shop.db")
    return app


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
    return g.db


# region job
def mark_paid(order_id):                        # an id: the job reads the row as it is now
    with create_app().app_context():            # no request in a worker: make the app's context
        db = get_db()
        db.execute("UPDATE orders SET paid = 1 WHERE id = ?", (order_id,))
        db.commit()
        return db.execute("SELECT total FROM orders WHERE id = ?", (order_id,)).fetchone()[0]
# endregion


# region enqueue
def checkout(queue, order_id):
    # ... commit the order first, so the worker can find its row ...
    return queue.enqueue("receipts.mark_paid", order_id)   # by import path: the worker imports it
# endregion
