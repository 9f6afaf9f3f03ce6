"""The lesson's redis-cli exercise, in Python with redis-py.

Run it against any Redis: ``python slides/code/redis_tour.py redis://127.0.0.1:6379/0``.
"""

import sys

import redis


def tour(r):
    """Strings, lists and keys: the commands the exercise asks for."""
    # region strings
    r.set("greeting", "hello")           # SET greeting hello
    greeting = r.get("greeting")          # GET greeting  -> b"hello"
    # endregion
    # region lists
    r.rpush("jobs", "resize", "email")    # RPUSH jobs resize email
    r.lpush("jobs", "urgent")             # LPUSH jobs urgent
    first = r.lindex("jobs", 0)           # LINDEX jobs 0 -> b"urgent"
    # endregion
    # region keys
    everything = r.keys("*")              # KEYS *   (blocks Redis: fine on a laptop)
    kind = r.type("jobs")                 # TYPE jobs -> b"list"
    safe = list(r.scan_iter(match="*", count=100))  # SCAN: the production way
    # endregion
    return {"greeting": greeting, "first": first, "keys": sorted(everything),
            "type": kind, "scanned": sorted(safe)}


if __name__ == "__main__":
    print(tour(redis.Redis.from_url(sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0")))
