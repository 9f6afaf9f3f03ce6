"""Command line: ``python -m demo serve | worker`` (also the ``ohmyqueue`` script).

``serve`` runs on gevent, which must patch the standard library before
anything else is imported; that is why this module starts with it.
"""

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:  # pragma: no cover - process start
    try:
        from gevent import monkey

        monkey.patch_all()
    except ImportError:
        pass

import argparse  # noqa: E402


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
    serve.add_argument("--redis-url", default=None, help="use this Redis instead of the embedded one (or REDIS_URL)")
    serve.add_argument("--instance", default=None, help="folder for Redis data and logs (default ./instance)")
    serve.add_argument("--new-token", action="store_true",
                       help="replace the presenter token and session key kept in the instance folder "
                            "(every presenter tab signs in again)")
    serve.add_argument("--talk", action="store_true",
                       help="the talk profile: short demo timeouts the slides state (gunicorn 8 s, proxy 10 s)")

    worker = sub.add_parser("worker", help="run one of the project's RQ workers")
    worker.add_argument("--redis-url", default=None, help="Redis to work for (or REDIS_URL)")
    worker.add_argument("--kind", choices=("fork", "simple", "threads"), default="fork",
                        help="fork: a new process per job (rq's Worker); simple: run jobs in-process; "
                             "threads: --threads simple workers on threads of this one process")
    worker.add_argument("--threads", type=int, default=4, help="with --kind threads: how many (default 4)")
    worker.add_argument("--queues", default="default,high,low", help="comma-separated queue names, in priority order")
    worker.add_argument("--name", default=None)
    worker.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    worker.add_argument("--with-scheduler", action="store_true", help="also move due scheduled jobs to their queues")
    worker.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)

    smtp = sub.add_parser("smtp", help="run the SMTP sink email jobs send to (stores mails in Redis)")
    smtp.add_argument("--redis-url", default=None, help="Redis to store mails in (or REDIS_URL)")
    smtp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    smtp.add_argument("--port", type=_port, default=8025, help="SMTP port (default 8025)")
    smtp.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)

    cron = sub.add_parser("cron", help="run rq's cron scheduler with the demo's recurring job")
    cron.add_argument("--redis-url", default=None, help="Redis to enqueue on (or REDIS_URL)")
    cron.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from .runtime.serve import serve

        return serve(args)
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
