"""Word diffs (newsarchive.worddiff) on long texts and on input built to be slow.

    .venv/bin/python bench/bench_worddiff.py [--corpus PATH] [--words 3000,10000] [--rounds 3]

Texts are consecutive ANT articles (read in place from ``--corpus``, default
../shared/data/corpora/ant-v1.1, never copied), joined one article a paragraph until
they hold ``--words`` words. Each is diffed against edits of itself: one word fixed,
1% and 10% of words changed at random (a third replaced, a third removed, a third added
after), tashkeel added to 5% of words, a paragraph removed and one added, every line
break removed (one paragraph: no paragraph alignment to lean on) with 1% changed, and a
different text altogether. Then input made to be slow for difflib (a few words repeated
thousands of times, a shuffle, a 100-word passage repeated), where the guard in
``newsarchive.worddiff._opcodes`` must keep the time near-linear. Last, the article
page's work for an article with ``diffs.MAX_CHANGES`` revisions (every one compared).

For each: CPU seconds of ``diff_texts`` and of ``render_html`` (best of ``--rounds``),
words added / removed / respelt, and the HTML's size. Writes a Markdown table to stdout
and bench/results/worddiff.md; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from newsarchive.ingest import read_path
from newsarchive.items import Article
from newsarchive.web import diffs
from newsarchive.worddiff import diff_texts, render_html

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "corpora" / "ant-v1.1"
RESULTS = REPO / "bench" / "results" / "worddiff.md"
TASHKEEL = "\u064e\u064f\u0650\u0652"


def corpus_texts(path: Path, words: int) -> list[str]:
    """ANT article texts, in corpus order, until twice ``words`` words are in hand."""
    texts: list[str] = []
    total = 0
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    for file in files:
        for _, item, _ in read_path(file):
            if isinstance(item, Article):
                texts.append(" ".join(item.text.split()))
                total += len(texts[-1].split())
                if total >= 2 * words:
                    return texts
    raise SystemExit(f"{path} holds fewer than {2 * words} words of ANT text; pass --corpus")


def build(texts: list[str], words: int, start: int = 0) -> str:
    """Articles from ``start`` on, one a paragraph, until ``words`` words."""
    out: list[str] = []
    count = 0
    for text in texts[start:]:
        out.append(text)
        count += len(text.split())
        if count >= words:
            break
    return "\n".join(out)


def edit(text: str, rate: float, rng: random.Random) -> str:
    """``rate`` of the words changed: a third replaced, a third removed, a third added."""
    lines = []
    for line in text.split("\n"):
        out = []
        for word in line.split(" "):
            draw = rng.random()
            if draw < rate / 3:
                out.append("تعديل")
            elif draw < 2 * rate / 3:
                continue
            else:
                out.append(word)
                if draw < rate:
                    out.append("إضافة")
        lines.append(" ".join(out))
    return "\n".join(lines)


def vocalise(text: str, rate: float, rng: random.Random) -> str:
    return " ".join(
        word + rng.choice(TASHKEEL) if rng.random() < rate and word.isalpha() else word
        for word in text.split(" ")
    )


def cases(texts: list[str], words: int, rng: random.Random) -> dict[str, tuple[str, str]]:
    text = build(texts, words)
    flat = text.replace("\n", " ")
    tokens = flat.split()
    middle = len(tokens) // 2
    lines = text.split("\n")
    moved = "\n".join(lines[:1] + lines[2:] + [texts[-1]])
    passage = " ".join(tokens[:100] * (len(tokens) // 100))
    return {
        "one word fixed": (text, text.replace(f" {tokens[middle]} ", " تصحيح ", 1)),
        "1% of words changed": (text, edit(text, 0.01, rng)),
        "10% of words changed": (text, edit(text, 0.10, rng)),
        "tashkeel on 5% of words": (text, vocalise(text, 0.05, rng)),
        "a paragraph removed, one added": (text, moved),
        "one paragraph, 1% changed": (flat, edit(flat, 0.01, rng)),
        "another text": (text, build(texts, words, start=len(lines))),
        "one word repeated, one changed": (
            " ".join(["في"] * len(tokens)),
            " ".join(["في"] * middle + ["من"] + ["في"] * middle),
        ),
        "two words alternating, 5% changed": (
            " ".join(["في", "من"] * middle),
            edit(" ".join(["في", "من"] * middle), 0.05, rng),
        ),
        "words shuffled": (flat, " ".join(rng.sample(tokens, len(tokens)))),
        "a 100-word passage repeated, 5% changed": (passage, edit(passage, 0.05, rng)),
    }


def best(fn: Callable[[], object], rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def article_page(texts: list[str], words: int, rounds: int, rng: random.Random) -> str:
    """The article page's diff work: an article with MAX_CHANGES revisions, each 1% of
    its words changed, all compared (``diffs.article_changes``)."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, url, source, title, text,"
        " published, last_fetched);"
        "CREATE TABLE revisions (id INTEGER PRIMARY KEY, article_id, url, title, text,"
        " fetched, replaced);"
    )
    text = build(texts, words)
    for _ in range(diffs.MAX_CHANGES):
        conn.execute("INSERT INTO revisions VALUES (NULL, 1, 'u', 't', ?, '2024', '2024')", [text])
        text = edit(text, 0.01, rng)
    conn.execute("INSERT INTO articles VALUES (1, 'u', 's', 't', ?, '2024', '2024')", [text])

    def page() -> int:
        return sum(len(change.html()) for change in diffs.article_changes(conn, 1))

    seconds, size = best(page, rounds)
    return (
        f"| article page: {diffs.MAX_CHANGES} revisions of {words:,} words, 1% changed each"
        f" (diff and render) | {seconds:.3f} | | | | {size / 1000:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--words", default="3000,10000", help="text sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"no corpus at {args.corpus}; pass --corpus PATH (ANT v1.1 or v2.1)")
    sizes = [int(size) for size in args.words.split(",")]
    texts = corpus_texts(args.corpus, max(sizes))
    rng = random.Random(8)
    lines = [
        f"# Word diffs (bench/bench_worddiff.py)\n\nCorpus: `{args.corpus.name}`; CPU seconds,"
        f" best of {args.rounds}; Python's difflib with the guard of"
        " `newsarchive.worddiff._opcodes`.\n",
        "| case | diff s | render s | added | removed | respelt | HTML kB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for words in sizes:
        for name, (old, new) in cases(texts, words, rng).items():
            diff_seconds, diff = best(lambda old=old, new=new: diff_texts(old, new), args.rounds)
            render_seconds, html = best(lambda diff=diff: render_html(diff), args.rounds)
            lines.append(
                f"| {len(old.split()):,} words: {name} | {diff_seconds:.3f} | {render_seconds:.3f}"
                f" | {diff.added:,} | {diff.removed:,} | {diff.minor:,} | {len(html) / 1000:.0f} |"
            )
            print(lines[-1], flush=True)
    lines.append(article_page(texts, 3000, args.rounds, rng))
    print(lines[-1])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
