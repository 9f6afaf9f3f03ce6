"""The sandbox redis-server that ``serve`` starts and supervises next to the queue's.

Same launcher as the queue's Redis (``demo.db.EmbeddedRedis``), without
persistence, with a small ``maxmemory`` and ``noeviction`` (a full sandbox
refuses writes, clearly, instead of dropping what someone stored). Its admin
password is new at every start and is written only as a SHA-256 hash, in a
config file readable by this user alone; the app gets it through the
environment (``CONSOLE_SANDBOX_URL``), never on a command line. Visitors' ACL
users are made by the app when they first type, so a restarted sandbox heals
itself.
"""

import hashlib
import os
import secrets
import time

from .. import db
from ..runtime import secret_files

#: Seconds ``serve`` waits for the sandbox to answer before going on without it.
START_TIMEOUT = 10.0


def write_config(path, password, maxmemory):
    """The sandbox's config file (mode 0600): memory ceiling, policy, admin password hash."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    secret_files.write(path, "\n".join([
        f"maxmemory {maxmemory}",
        "maxmemory-policy noeviction",
        f"user default on #{digest} ~* &* +@all",
    ]))
    return path


def add_sandbox(supervisor, instance, config):
    """Start the sandbox under ``supervisor``; set CONSOLE_SANDBOX_URL for the app. Never raises.

    A CONSOLE_SANDBOX_URL given in the environment is used as it is.
    """
    from ..runtime.supervisor import Child

    given = os.environ.get("CONSOLE_SANDBOX_URL")
    if given:
        config["CONSOLE_SANDBOX_URL"] = given
        print(f"Console:   sandbox {db.redact_url(given)} (external)", flush=True)
        return given
    try:
        password = secrets.token_urlsafe(24)
        data_dir = instance / "sandbox"
        server = db.EmbeddedRedis(data_dir, persist=False,
                                  config_file=write_config(data_dir / "sandbox.conf", password,
                                                           config["CONSOLE_SANDBOX_MAXMEMORY"]))
        supervisor.add(Child("sandbox", server.argv()))
        url = f"redis://:{password}@127.0.0.1:{server.port}/0"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                db.check_reachable(url)
                break
            except db.RedisUnavailable as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(exc.reason) from None
                time.sleep(0.05)
    except (OSError, RuntimeError) as exc:
        print(f"Console:   no sandbox ({exc}); the console will say so", flush=True)
        return None
    os.environ["CONSOLE_SANDBOX_URL"] = config["CONSOLE_SANDBOX_URL"] = url
    print(f"Console:   sandbox redis-server on 127.0.0.1:{server.port} "
          f"(maxmemory {config['CONSOLE_SANDBOX_MAXMEMORY']}, no persistence)", flush=True)
    return url
