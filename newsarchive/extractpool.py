"""Extraction of a stream of stored pages in worker processes, results in input order.

A crawl extracts each page as it arrives (spiders/news.py submits one future per page to
its own pool). Reading pages that are already on disk (a WARC file to ingest, the
captures to re-extract) is the other way round: the pages come faster than one process
can extract them, so they are handed out in chunks to a pool of the same
:func:`newsarchive.extract.extract_page` workers, and the results come back in the order
the pages were read. Only a few chunks are in flight at a time, so memory stays flat
however many pages there are, and the writer never waits long for the next result.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, TypeVar

from newsarchive import stopping

__all__ = ["Extracted", "default_workers", "extract_in_order"]

log = logging.getLogger(__name__)

T = TypeVar("T")
# extract_page's result, (article or None, decision), or the exception it raised.
Extracted = Any

# Pages per task: enough that the cost of pickling one call is spread, few enough that a
# stop (Ctrl-C) waits for at most a few seconds of work in hand.
CHUNK = 16
# Chunks in flight per worker: one being extracted, one waiting, so none idles.
AHEAD = 2


def default_workers() -> int:
    """Worker processes for extraction: env NEWSARCHIVE_EXTRACT_WORKERS, else as many as
    there are cores, at most 3 (the crawl's default, newsarchive.settings); 0 extracts
    in this process."""
    raw = os.environ.get("NEWSARCHIVE_EXTRACT_WORKERS", "").strip()
    if raw.isdigit():
        return int(raw)
    return min(os.cpu_count() or 1, 3)


def _extract_one(args: tuple | None) -> Extracted:
    """extract_page's result, or the exception it raised: one bad page (bytes that do not
    decode, a parser bug) must not end a run of thousands."""
    if args is None:  # nothing to extract: the tag passes through, in its place
        return None
    from newsarchive.extract import extract_page  # lazy: imports trafilatura

    try:
        return extract_page(*args)
    except Exception as exc:  # EncodingError, and whatever lxml or a rule may raise
        if not isinstance(exc, ValueError):
            log.warning("extraction failed on %s", args[3], exc_info=True)
        return exc


def _extract_chunk(chunk: list[tuple]) -> list[Extracted]:
    return [_extract_one(args) for args in chunk]


def extract_in_order(
    jobs: Iterable[tuple[T, tuple | None]], workers: int | None = None
) -> Iterator[tuple[T, Extracted]]:
    """``(tag, extract_page's result)`` for each ``(tag, extract_page's arguments)`` of
    ``jobs``, in order. ``tag`` is whatever the caller needs to place the result (it
    stays in this process); arguments None give the result None. With ``workers`` 0,
    or inside a daemonic process (which may not start children), the pages are
    extracted here."""
    workers = default_workers() if workers is None else workers
    if workers <= 0 or multiprocessing.current_process().daemon:
        for tag, args in jobs:
            yield tag, _extract_one(args)
        return
    # As the crawl does: forkserver workers that leave SIGINT and SIGTERM to this
    # process, which stops them once the results in hand are written (newsarchive.stopping).
    stopping.start_forkserver()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=stopping.worker_initializer,
        initargs=(os.getpid(),),
    )
    pending: deque[tuple[list[T], Future]] = deque()
    jobs = iter(jobs)
    try:
        while chunk := list(islice(jobs, CHUNK)):
            tags = [tag for tag, _ in chunk]
            pending.append((tags, pool.submit(_extract_chunk, [args for _, args in chunk])))
            while len(pending) > workers * AHEAD:
                yield from _ready(pending.popleft())
        while pending:
            yield from _ready(pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ready(entry: tuple[list[T], Future]) -> Iterator[tuple[T, Extracted]]:
    tags, future = entry
    yield from zip(tags, future.result(), strict=True)
