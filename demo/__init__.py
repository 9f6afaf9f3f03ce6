"""Oh My Queue: the live demo server (Flask + Flask-SocketIO + RQ on Redis)."""

import logging
from pathlib import Path

from flask import Flask

from . import config as config_module

__version__ = "0.1.0"

#: The project root: static/ (deck runtime, dashboard assets), site/ (the
#: built deck) and node_modules/ (browser libraries from npm) live there.
ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the Flask app: configuration, Redis, Socket.IO, blueprints."""
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static",
                instance_path=str(ROOT / "instance"))
    app.config.from_mapping(config_module.from_env())
    app.config.from_mapping(
        SITE_DIR=app.config.get("SITE_DIR") or str(ROOT / "site"),
        NODE_MODULES=str(ROOT / "node_modules"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
        VERSION=__version__,
    )
    if config:
        app.config.from_mapping(config)
    config_module.fill_secrets(app.config)
    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: run 'python -m demo serve', which starts Redis, or set REDIS_URL")
    app.config["QUEUE_NAMES"] = [q.strip() for q in app.config["DEMO_QUEUES"].split(",") if q.strip()]

    from . import console, db, demos, errors, pages, security
    from .live import api, wiring
    from .talk import pages as talk_pages
    from .talk import remote

    db.init_app(app)
    wiring.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(demos.bp)
    app.register_blueprint(talk_pages.bp)
    app.register_blueprint(remote.bp)
    console.init_app(app)
    logging.getLogger("demo").setLevel(logging.INFO)
    return app
