"""Extraction throughput: plain trafilatura vs newsarchive's ArticleExtractor.

    .venv/bin/python bench/bench_extract.py [DIR ...] [--docs 200]

Single process. Prints pages/s for (a) ``trafilatura.bare_extraction(html,
with_metadata=True)`` and (b) ``ArticleExtractor().extract(...)`` and the ratio b/a
(target ≥ 0.85). Rounds alternate a and b and the best round counts, timed in CPU seconds
of this process, so other work on a shared machine does not skew the ratio. Writes figures
only; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import time
from pathlib import Path

import trafilatura

from newsarchive.arabic.encoding import EncodingError
from newsarchive.extract import ArticleExtractor

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_DIRS = [SHARED / "pages", SHARED / "real-pages"]


def load(dirs: list[Path], docs: int) -> list[bytes]:
    pages = [p.read_bytes() for d in dirs for p in sorted(d.rglob("*.html"))]
    if not pages:
        sys.exit(f"no .html pages under {', '.join(map(str, dirs))}")
    return list(itertools.islice(itertools.cycle(pages), max(docs, len(pages))))


def plain(pages: list[bytes]) -> float:
    start = time.process_time()
    for html in pages:
        trafilatura.bare_extraction(html, with_metadata=True)
    return len(pages) / (time.process_time() - start)


def ours(pages: list[bytes]) -> float:
    extractor = ArticleExtractor("bench")
    start = time.process_time()
    for i, html in enumerate(pages):
        with contextlib.suppress(EncodingError):
            extractor.extract(html, f"https://example.com/news/{i}")
    return len(pages) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--docs", type=int, default=200, help="documents per run (cycled)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; best counts")
    args = parser.parse_args()
    pages = load(args.dirs, args.docs)
    # Warm both paths (imports, lazy tables) before timing.
    plain(pages[:5])
    ours(pages[:5])
    a = b = 0.0
    for _ in range(args.rounds):
        a = max(a, plain(pages))
        b = max(b, ours(pages))
    print(f"documents: {len(pages)} ({sum(map(len, pages)) / 1e6:.1f} MB), best of {args.rounds}")
    print(f"(a) trafilatura.bare_extraction: {a:7.1f} pages/s")
    print(f"(b) ArticleExtractor.extract:    {b:7.1f} pages/s")
    print(f"ratio b/a: {b / a:.2f} (target >= 0.85)")


if __name__ == "__main__":
    main()
