"""Cross-site request protection for every state-changing request.

A browser sends ``Origin`` (and ``Sec-Fetch-Site``) with every POST; a
request that another site's page made is refused with 403 before any view
runs. Clients that are not browsers (curl, tests) send neither and pass:
they cannot ride on a visitor's cookies.
"""

from urllib.parse import urlsplit

from flask import abort, request

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _same_origin():
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def init_app(app):
    @app.before_request
    def refuse_cross_site():
        if request.method in UNSAFE_METHODS and not _same_origin():
            abort(403, "cross-site request refused: submit from the demo's own pages")
