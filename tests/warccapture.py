"""Record URLs into a WARC with warcio's own capture, as any other crawler would.

Run as a script (``python -m tests.warccapture OUT.warc[.gz] BASE_URL`` with one path per
line on stdin): warcio.capture_http patches http.client when it is imported, so it must
come before requests and urllib3 are imported, which a test process cannot promise."""

from __future__ import annotations

import sys

from warcio.capture_http import capture_http  # first: it patches http.client


def main(out: str, base: str) -> None:
    import requests  # after warcio.capture_http, as warcio asks

    targets = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    with capture_http(out, gzip=out.endswith(".gz")), requests.Session() as session:
        for target in targets:
            session.get(base + target, allow_redirects=False, timeout=10)


if __name__ == "__main__":
    main(*sys.argv[1:3])
