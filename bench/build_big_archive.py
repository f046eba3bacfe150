"""Build a large synthetic archive from ANT v2.1 text for bench/bench_search_latency.py.

The corpus has ~30,000 unique articles; a million-article archive is synthesised from them:
article ``i`` takes the title of one real article with a word from another appended, and
the body of the first followed by one or two paragraphs of others, so every synthetic
article is distinct Arabic text with the corpus's real vocabulary and term frequencies.
``published`` grows with ``i`` (with jitter) over 2010-2024, as a crawler's archive
grows over time, so rowid order roughly follows publication order.

Issue 11's case is planted: for each of PLANTED words, ten of the oldest articles carry
the word seven times in the title and forty times in the text, so an exact ranking must
put them first for that word however many newer articles also match it
(bench/bench_search_latency.py checks where they land). ``--plant 0`` leaves them out.

Everything goes through the real write path, ``Archive.upsert_articles`` (search keys,
FTS index, one transaction per batch), so the index is exactly the one an ingest builds.
The ANT tarball is read in place (never copied).

    .venv/bin/python bench/build_big_archive.py --articles 1000000 --db /tmp/big.db
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.ingest import BadInput, parse_ant  # noqa: E402
from newsarchive.items import Article  # noqa: E402

log = logging.getLogger("build_big_archive")

CORPUS = (
    ROOT.parent / "shared" / "data" / "corpora" / "ant-v2.1" / ("antcorpus.multisource.data.tar.xz")
)
START = datetime(2010, 1, 1, tzinfo=UTC)
SPAN_DAYS = 15 * 365


def read_ant(path: Path) -> list[Article]:
    """The corpus's articles (first of each URL), parsed by the ingest code."""
    docs: list[Article] = []
    seen: set[str] = set()
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            for item in parse_ant(tar.extractfile(member).read()):
                if isinstance(item, BadInput) or item.url in seen:
                    continue
                seen.add(item.url)
                docs.append(item)
    return docs


# Common words (tens to hundreds of thousands of matches at 1M) with planted best matches.
PLANTED = ("الرئيس", "الحكومة", "وزير")


def planted_url(word: str, n: int) -> str:
    return f"https://synth.example/planted/{PLANTED.index(word)}-{n}"


def synthesise(
    docs: list[Article], count: int, seed: int = 2018, plant: int = 10
) -> Iterator[Article]:
    rng = random.Random(seed)
    # Spread over the oldest articles: articles 100, 200, ... of the archive.
    planted = {
        100 * (1 + w * plant + n): (word, n)
        for w, word in enumerate(PLANTED)
        for n in range(plant)
        if 100 * (1 + w * plant + n) < count
    }
    paragraphs = [p for doc in docs for p in doc.text.split("\n") if len(p) > 80]
    title_words = [w for doc in docs for w in doc.title.split() if len(w) > 3]
    step = SPAN_DAYS * 86400 / count
    for i in range(count):
        base = docs[i % len(docs)]
        extra = [rng.choice(paragraphs) for _ in range(rng.randint(1, 2))]
        when = START + timedelta(seconds=i * step + rng.uniform(0, step))
        if i in planted:
            word, n = planted[i]
            yield Article(
                url=planted_url(word, n),
                title=" ".join([word] * 7) + " " + base.title,
                text="\n".join([base.text, " ".join([word] * 40), *extra]),
                source=base.source,
                published=when.isoformat(timespec="seconds"),
                language="ar",
                categories=list(base.categories),
            )
            continue
        yield Article(
            url=f"https://synth.example/{i}",
            title=f"{base.title} {rng.choice(title_words)}",
            text="\n".join([base.text, *extra]),
            source=base.source,
            author=base.author,
            published=when.isoformat(timespec="seconds"),
            language="ar",
            categories=list(base.categories),
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsarchive-big.db"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--plant", type=int, default=10, help="planted old best matches per PLANTED word"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.corpus.exists():
        sys.exit(f"ANT corpus not found at {args.corpus}")
    if args.db.exists():
        sys.exit(f"{args.db} exists; delete it first")
    started = time.perf_counter()
    docs = read_ant(args.corpus)
    log.info("read %d ANT articles in %.0f s", len(docs), time.perf_counter() - started)
    done = 0
    started = time.perf_counter()
    with open_archive(args.db) as archive:
        for _article, _outcome in archive.upsert_articles(
            synthesise(docs, args.articles, plant=args.plant), batch_size=2000
        ):
            done += 1
            if done % 50_000 == 0:
                rate = done / (time.perf_counter() - started)
                log.info("%d articles, %.0f/s", done, rate)
        archive.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    elapsed = time.perf_counter() - started
    log.info("built %s: %d articles in %.0f s (%.0f/s)", args.db, done, elapsed, done / elapsed)


if __name__ == "__main__":
    main()
