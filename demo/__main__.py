"""Command line: ``python -m demo serve | web | worker | smtp | cron`` (also the
``ohmyqueue`` script). Each command's work lives in its module under
``demo/runtime/``.

``web`` runs gunicorn's gevent worker, which patches the standard library
when it starts; the arbiter imports redis (and with it ssl names) before
that, so ``main`` patches first, as gevent asks.
"""

import argparse
import sys


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1 to 65535")
    return port


def _parser():
    parser = argparse.ArgumentParser(prog="python -m demo", description="Oh My Queue demo server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run Redis (embedded unless given), workers and the web server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for a LAN)")
    serve.add_argument("--port", type=_port, default=5000, help="web port (default 5000)")
    serve.add_argument("--workers", type=int, default=2, help="forking RQ workers to run (default 2)")
    serve.add_argument("--redis-url", default=None,
                       help="use this Redis instead of the embedded one (better: REDIS_URL, which ps does not show)")
    serve.add_argument("--instance", default=None, help="folder for Redis data and logs (default ./instance)")
    serve.add_argument("--new-token", action="store_true",
                       help="replace the presenter token and session key kept in the instance folder "
                            "(every presenter tab signs in again)")
    serve.add_argument("--talk", action="store_true",
                       help="the talk profile: short demo timeouts the slides state (gunicorn 8 s, proxy 10 s)")

    web = sub.add_parser("web", help="run one web process (gunicorn) of the app; settings from the environment")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=_port, default=5000, help="port (default 5000)")

    worker = sub.add_parser("worker", help="run one of the project's RQ workers")
    worker.add_argument("--redis-url", default=None,
                        help="Redis to work for (better: REDIS_URL, which ps does not show)")
    worker.add_argument("--kind", choices=("fork", "simple", "threads"), default="fork",
                        help="fork: a new process per job (rq's Worker); simple: run jobs in-process; "
                             "threads: --threads simple workers on threads of this one process")
    worker.add_argument("--threads", type=int, default=4, help="with --kind threads: how many (default 4)")
    worker.add_argument("--queues", default="default,high,low", help="comma-separated queue names, in priority order")
    worker.add_argument("--name", default=None)
    worker.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    worker.add_argument("--with-scheduler", action="store_true", help="also move due scheduled jobs to their queues")
    worker.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    worker.add_argument("--wait-redis", type=float, default=0, help=argparse.SUPPRESS)

    smtp = sub.add_parser("smtp", help="run the SMTP sink email jobs send to (stores mails in Redis)")
    smtp.add_argument("--redis-url", default=None, help="Redis to store mails in (or REDIS_URL)")
    smtp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    smtp.add_argument("--port", type=_port, default=8025, help="SMTP port (default 8025)")
    smtp.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    smtp.add_argument("--wait-redis", type=float, default=0, help=argparse.SUPPRESS)

    cron = sub.add_parser("cron", help="run rq's cron scheduler with the demo's recurring job")
    cron.add_argument("--redis-url", default=None, help="Redis to enqueue on (or REDIS_URL)")
    cron.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    cron.add_argument("--wait-redis", type=float, default=0, help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from .runtime.serve import serve

        return serve(args)
    if args.command == "web":
        from gevent import monkey

        monkey.patch_all()
        from .runtime.web import run_web

        return run_web(args)
    if args.command == "smtp":
        from .runtime.smtp import run_smtp

        return run_smtp(args)
    if args.command == "cron":
        from .runtime.cron import run_cron

        return run_cron(args)
    from .runtime.workercli import run_worker

    return run_worker(args)


if __name__ == "__main__":
    sys.exit(main())
