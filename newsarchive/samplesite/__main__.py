"""Serve the sample site until interrupted: ``python -m newsarchive.samplesite``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from newsarchive.samplesite import DEFAULT_SEEDS_DIR, SampleSiteError, build_site, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsarchive.samplesite",
        description="Serve the local WordPress-like Arabic news site built from seed files.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8002, help="port (default 8002, 0 = any)")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS_DIR, help="seed folder")
    parser.add_argument("--crawl-delay", type=float, default=None, help="robots.txt Crawl-delay")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each answer (a slow site)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        site = build_site(args.seeds, crawl_delay=args.crawl_delay)
        server = serve(site, args.host, args.port, latency=args.latency)
    except (SampleSiteError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Serving {len(site.articles)} articles at {server.base_url}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
