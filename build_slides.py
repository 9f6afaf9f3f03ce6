#!/usr/bin/env python3
"""Build the slide deck: ``python build_slides.py [SRC=slides] [--out site] [--watch] [--pdf deck.pdf] [--demo-url URL] [--strict]``.

Only the command line lives here; the work is ``slidekit.build()``. Every build
problem is printed as ``slides/x.md:LINE: message`` and exits 1.
"""

import argparse
import sys


def _parser():
    parser = argparse.ArgumentParser(prog="build_slides.py", description=__doc__.split("\n")[0])
    parser.add_argument("src", nargs="?", default="slides",
                        help="a directory of *.md slide files (read in name order) or one .md file (default: slides)")
    parser.add_argument("--out", default="site", help="output directory, replaced on success (default: site)")
    parser.add_argument("--watch", action="store_true",
                        help="rebuild on change and serve the deck with live reload on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="port of the --watch server (default: 8000)")
    parser.add_argument("--pdf", metavar="FILE", help="also print the deck to FILE, one page per slide")
    parser.add_argument("--demo-url", metavar="URL",
                        help="a running demo server (e.g. http://127.0.0.1:5000/): --watch previews show its live "
                             "widgets and --pdf prints a still of each")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                        help="processes that render the slides (default: one per core once a deck has "
                             "100 slides to render; 1 renders in this process)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list front matter keys that are kept but not used (other tools' settings)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    from slidekit import BuildError, build

    if args.watch and args.pdf:
        print("build_slides.py: --watch and --pdf do not go together; run --pdf on its own", file=sys.stderr)
        return 2
    problem = _check_demo_url(args)
    if problem:
        print(f"build_slides.py: {problem}", file=sys.stderr)
        return 2
    try:
        if args.watch:
            from slidekit.watch import watch

            return watch(args.src, args.out, strict=args.strict, port=args.port, demo_url=args.demo_url)
        result = build(args.src, args.out, strict=args.strict, jobs=args.jobs)
        for warning in result.warnings:
            print(f"{warning} (warning)", file=sys.stderr)
        if args.verbose:
            for notice in result.notices:
                print(f"{notice} (info)", file=sys.stderr)
        if not args.quiet:
            spread = f" ({result.processes} processes)" if result.processes > 1 else ""
            print(f"built {result.slides} slides into {args.out}/ in {result.seconds:.2f} s{spread}")
        if args.pdf:
            from slidekit.pdf import export_pdf

            pages, stills = export_pdf(args.out, args.pdf, result.meta["width"], result.meta["height"],
                                       demo_url=args.demo_url)
            if not args.quiet:
                print(f"printed {pages} pages to {args.pdf}" +
                      (f" with {stills} live demo stills from {args.demo_url}" if args.demo_url else ""))
    except BuildError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _jobs(text):
    """--jobs: a whole number from 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--jobs wants a number of processes from 1 to 64, not {text!r}")
    return value


def _check_demo_url(args):
    """What is wrong with --demo-url, or None."""
    if not args.demo_url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(args.demo_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"--demo-url wants the demo server's address, like http://127.0.0.1:5000/, not {args.demo_url!r}"
    if not (args.watch or args.pdf):
        return ("--demo-url is for --watch previews and --pdf stills; to bake a server into the deck, "
                "set 'server:' in the front matter")
    return None


if __name__ == "__main__":
    sys.exit(main())
