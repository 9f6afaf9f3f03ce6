"""Extension objects, created unbound and bound in ``create_app``."""

from flask_socketio import SocketIO

#: Bound by ``create_app`` with ``init_app(app, message_queue=...)``. An outside
#: process can emit through ``SocketIO(message_queue=url)`` as well.
socketio = SocketIO()
