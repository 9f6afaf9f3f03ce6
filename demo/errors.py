"""Errors as JSON for the API and as short pages elsewhere; never a traceback."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException
import redis


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        message = exc.description or exc.name
        if _wants_json():
            return jsonify(error=message, status=exc.code), exc.code
        return render_template("error.html", code=exc.code, name=exc.name, message=message), exc.code

    @app.errorhandler(redis.RedisError)
    def redis_error(exc):
        app.logger.warning("Redis error on %s: %s", request.path, exc)
        message = "Redis is unavailable right now; the page will recover when it is back"
        if _wants_json():
            return jsonify(error=message, status=503), 503
        return render_template("error.html", code=503, name="Service Unavailable", message=message), 503
