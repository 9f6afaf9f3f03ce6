"""Raw round trips: several commands on one connection, replies as Redis sent them.

redis-py's client turns replies into Python values (``HGETALL`` into a dict,
``SET`` into ``True``); the console needs them as they are, to print them as
redis-cli does, and it needs one connection across round trips (the
visitor's ``AUTH`` holds for what follows). Errors come back as
``ResponseError`` instances in their place, not raised.
"""

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.exceptions import ResponseError


def pool(url, max_connections, wait, timeout, **options):
    """A blocking pool for ``url``: callers wait up to ``wait`` s for a connection, a command ``timeout`` s.

    RESP2, as redis-cli speaks by default: its replies are what it prints.
    """
    return redis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=wait, socket_connect_timeout=timeout,
        socket_timeout=timeout, protocol=2, **options)


def without_credentials(url):
    """``url`` with any user name and password removed (a pool then gets its own)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


class Round:
    """``with Round(pool) as r: r.send(cmd, cmd...)``: one connection, many round trips."""

    def __init__(self, connection_pool):
        self.pool = connection_pool
        self.connection = None

    def __enter__(self):
        self.connection = self.pool.get_connection()
        return self

    def __exit__(self, *exc):
        self.pool.release(self.connection)

    def send(self, *commands):
        """Send ``commands`` at once; their replies in order (a ResponseError for an error)."""
        connection = self.connection
        connection.send_packed_command(connection.pack_commands(commands))
        replies = []
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except ResponseError as exc:
                replies.append(exc)
        return replies
