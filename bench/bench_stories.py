"""Story grouping (newsarchive.stories): precision and recall on a labelled set, and
the time to group a large archive and to add 1,000 articles to it.

    .venv/bin/python bench/bench_stories.py quality [--corpus PATH]
    .venv/bin/python bench/bench_stories.py scale --sizes 100000,300000,1000000

``quality`` builds a labelled set from ANT v2.1 (read in place; default
../shared/data/corpora/ant-v2.1): for each of ORIGINALS articles, WIRE_COPIES copies as
other papers print a wire story (a site's header and footer, a byline, a dateline,
the first or last paragraph dropped, hamza and taa marbuta spelled otherwise, a
sentence rewritten: 2-4 of these each), plus the corpus's own duplicates (articles it
holds twice under one URL), against negatives: pairs of different articles of one
source and category made to share a quote (a sentence of one put into the other as a
quotation), short briefs quoting a long article, and the rest of the corpus as
distractors. The set goes through the real write path (Archive.upsert_articles groups
as it writes); precision and recall are over pairs of articles. For the choice, the same
set is grouped by simhash (64-bit, over the same shingles, every pair compared: the
most simhash can do) at several Hamming radii, by MinHash-LSH collisions alone (no
verification), and by other shingle sizes and thresholds.

``scale`` times ``newsarchive stories --rebuild`` (stories.rebuild) on archives of
synthetic texts (words drawn from ANT's word frequencies, 2% planted near-copies) of
each size, inserted with plain SQL (keys and all, to save hours of key computing), and
then the real write of 1,000 new articles with and without the grouping step.

Writes bench/results/stories.md (the part it ran; the other part is kept).
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsarchive import stories  # noqa: E402
from newsarchive.arabic.normalize import search_key  # noqa: E402
from newsarchive.archive import Archive, open_archive  # noqa: E402
from newsarchive.ingest import read_path  # noqa: E402
from newsarchive.items import Article  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "corpora" / "ant-v2.1"
RESULTS = ROOT / "bench" / "results" / "stories.md"

ORIGINALS = 600
SHORT_ORIGINALS = 300
WIRE_COPIES = 3
QUOTE_PAIRS = 400
BRIEFS = 150
DISTRACTORS = 2500

# What papers put around a wire story: (header, footer).
SITES = [
    ("الخبر أونلاين", "تابعوا آخر الأخبار على صفحتنا في فيسبوك وتويتر وانستغرام"),
    ("", "جميع الحقوق محفوظة لجريدة الشروق اليومي 2024 ©"),
    ("النهار أونلاين -", "إضغط على الصورة لتحميل تطبيق النهار على هاتفك"),
    ("", "اقرأ أيضا: الحكومة تصادق على مشروع قانون المالية التكميلي"),
    ("الموعد اليومي", "تابعونا على صفحتنا في فيسبوك وحمّلوا تطبيق الموعد اليومي على هواتفكم"),
    ("وكالة الأنباء الجزائرية", ""),
]
BYLINES = ["بقلم: سارة ب.", "ق. و", "م. أمين", "كتب: عبد القادر س.", "وأج"]
DATELINES = ["الجزائر 12 مايو (وأج) -", "وهران - ق. و:", "(وأج) -", "قسنطينة: ", "باريس (أ ف ب) -"]


# --- the labelled set ---------------------------------------------------------------------


def read_corpus(corpus: Path) -> list[Article]:
    paths = sorted(corpus.glob("*.tar.xz")) if corpus.is_dir() else [corpus]
    if not paths:
        sys.exit(f"no ANT tarball in {corpus}; give --corpus the ant-v2.1 folder")
    return [item for path in paths for _, item, _ in read_path(path) if isinstance(item, Article)]


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def spell_otherwise(text: str) -> str:
    """Hamza seats dropped, final taa marbuta as haa, final yeh as alef maqsura."""
    text = re.sub("[أإآ]", "ا", text)
    text = re.sub("ة\\b", "ه", text)
    return re.sub("ي\\b", "ى", text)


def rewrite_a_sentence(text: str, rng: random.Random) -> str:
    """One sentence said otherwise: its words reordered and one in four dropped."""
    sentences = re.split(r"(?<=[.!؟])\s+", text)
    long_ones = [i for i, s in enumerate(sentences) if len(s.split()) >= 8]
    if not long_ones:
        return text
    at = rng.choice(long_ones)
    words = sentences[at].split()
    rng.shuffle(words)
    sentences[at] = " ".join(w for i, w in enumerate(words) if i % 4 != 3)
    return " ".join(sentences)


VARIATIONS = [
    "boilerplate",
    "byline",
    "dateline",
    "drop paragraph",
    "spelling",
    "rewrite",
    "related links",
]


def wire_copy(
    text: str, rng: random.Random, headlines: list[str], changes: list[str] | None = None
) -> tuple[str, list[str]]:
    """A paper's copy of ``text`` with 2-4 of the variations (or ``changes``), and their
    names. "related links": a block of three other headlines the extractor kept."""
    body = paragraphs(text)
    changes = changes or rng.sample(VARIATIONS, rng.randint(2, 4))
    if "related links" in changes:
        related = "، ".join(rng.sample(headlines, 3))
        body.insert(rng.randint(1, len(body)), f"اقرأ أيضا: {related}")
    if "drop paragraph" in changes and len(body) >= 3:
        body = body[1:] if rng.random() < 0.5 else body[:-1]
    if "dateline" in changes:
        body[0] = f"{rng.choice(DATELINES)} {body[0]}"
    if "byline" in changes:
        body.insert(0, rng.choice(BYLINES))
    if "boilerplate" in changes:
        header, footer = rng.choice(SITES)
        body = [p for p in (header, *body, footer) if p]
    copy = "\n".join(body)
    if "spelling" in changes:
        copy = spell_otherwise(copy)
    if "rewrite" in changes:
        copy = rewrite_a_sentence(copy, rng)
    return copy, changes


def a_quote(text: str, rng: random.Random) -> str | None:
    sentences = [s for s in re.split(r"(?<=[.!؟])\s+", text) if 12 <= len(s.split()) <= 40]
    return rng.choice(sentences) if sentences else None


@dataclass
class Labelled:
    articles: list[Article]
    story: dict[str, str]  # url -> the labelled story
    kind: dict[str, str]  # url -> how it was made
    quote_pairs: list[tuple[str, str]]  # different stories sharing a quote


def labelled_set(corpus: list[Article], seed: int = 8) -> Labelled:
    rng = random.Random(seed)
    by_url: dict[str, list[Article]] = defaultdict(list)
    for article in corpus:
        by_url[article.url].append(article)
    unique = [copies[0] for copies in by_url.values() if len(copies) == 1]
    rng.shuffle(unique)
    long_enough = [a for a in unique if len(paragraphs(a.text)) >= 3 and len(a.text.split()) >= 120]
    made = Labelled([], {}, {}, [])

    def add(article: Article, url: str, story: str, kind: str, text: str | None = None) -> None:
        made.articles.append(replace(article, url=url, text=text or article.text, page=None))
        made.story[url], made.kind[url] = story, kind

    originals, rest = long_enough[:ORIGINALS], long_enough[ORIGINALS:]
    headlines = [a.title for a in unique[-2000:]]
    for number, article in enumerate(originals):
        add(article, f"https://wire.test/{number}/0", f"wire{number}", "original")
        for copy in range(1, WIRE_COPIES + 1):
            text, changes = wire_copy(article.text, rng, headlines)
            url = f"https://wire.test/{number}/{copy}"
            add(article, url, f"wire{number}", "+".join(changes), text)
    # Short dispatches (40-90 words), each copy with a byline, a dateline and a site's
    # header and footer: where a few changed words are much of the text.
    short = [a for a in unique if 40 <= len(a.text.split()) <= 90][:SHORT_ORIGINALS]
    every = ["short: byline", "dateline", "boilerplate"]
    for number, article in enumerate(short):
        add(article, f"https://short.test/{number}/0", f"short{number}", "original")
        for copy in range(1, WIRE_COPIES + 1):
            text, _ = wire_copy(article.text, rng, headlines, ["byline", "dateline", "boilerplate"])
            url = f"https://short.test/{number}/{copy}"
            add(article, url, f"short{number}", "+".join(every), text)
    # Different stories of one source and category, made to share a quote.
    by_topic: dict[tuple, list[Article]] = defaultdict(list)
    for article in rest:
        by_topic[(article.source, tuple(article.categories))].append(article)
    pairs = [group[i : i + 2] for group in by_topic.values() for i in range(0, len(group) - 1, 2)]
    used: set[str] = set()
    for number, (first, second) in enumerate(pairs[:QUOTE_PAIRS]):
        quote = a_quote(first.text, rng)
        if quote is None:
            continue
        body = paragraphs(second.text)
        body.insert(len(body) // 2, f"وقال المتحدث في تصريح صحفي: «{quote}».")
        add(first, f"https://quote.test/{number}/a", f"quote{number}a", "quote source")
        add(
            second,
            f"https://quote.test/{number}/b",
            f"quote{number}b",
            "quotes it",
            "\n".join(body),
        )
        made.quote_pairs.append(
            (f"https://quote.test/{number}/a", f"https://quote.test/{number}/b")
        )
        used.update((first.url, second.url))
    # Short briefs that quote a long article (a paragraph of it and a line of their own).
    for number, article in enumerate(originals[:BRIEFS]):
        brief = f"قال مصدر مسؤول اليوم إن {rng.choice(paragraphs(article.text))}"
        add(article, f"https://brief.test/{number}", f"brief{number}", "brief quoting", brief)
    # The corpus's own duplicates: one URL, filed twice (under two URLs here).
    for number, copies in enumerate(c for c in by_url.values() if len(c) > 1):
        for copy, article in enumerate(copies):
            kind = "corpus duplicate" + (" (same text)" if article.text == copies[0].text else "")
            add(article, f"https://dup.test/{number}/{copy}", f"dup{number}", kind)
    taken = used | {a.url for a in short}
    distractors = [a for a in rest if a.url not in taken][:DISTRACTORS]
    for number, article in enumerate(distractors):
        add(article, f"https://other.test/{number}", f"other{number}", "distractor")
    return made


# --- scoring ------------------------------------------------------------------------------


def pairs_of(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    found = set()
    for group in groups:
        members = sorted(group)
        found.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return found


def grouped_by(label: dict[str, object]) -> list[list[str]]:
    groups: dict[object, list[str]] = defaultdict(list)
    for url, value in label.items():
        groups[value].append(url)
    return list(groups.values())


@dataclass
class Score:
    precision: float
    recall: float
    quote_merged: int
    recall_by_kind: dict[str, float]

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(predicted: dict[str, object], made: Labelled) -> Score:
    truth = pairs_of(grouped_by(made.story))
    found = pairs_of(grouped_by(predicted))
    right = truth & found
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in truth:
        # A pair is of the kind of its made copy (the original pairs with it).
        kind = made.kind[b] if made.kind[a] == "original" else made.kind[a]
        for change in kind.split("+"):
            by_kind[change][0] += (a, b) in right
            by_kind[change][1] += 1
    merged = sum(predicted[a] == predicted[b] for a, b in made.quote_pairs)
    return Score(
        len(right) / len(found) if found else 1.0,
        len(right) / len(truth) if truth else 1.0,
        merged,
        {kind: hit / total for kind, (hit, total) in sorted(by_kind.items())},
    )


# --- the contenders -----------------------------------------------------------------------


def group_with_archive(made: Labelled, db: Path) -> tuple[dict[str, object], float, Archive]:
    """The real thing: every article through Archive.upsert_articles; seconds spent in
    the grouping step (stories.catch_up) alone."""
    spent = [0.0]
    catch_up = stories.catch_up

    def timed(conn: sqlite3.Connection) -> int:
        start = time.perf_counter()
        try:
            return catch_up(conn)
        finally:
            spent[0] += time.perf_counter() - start

    stories.catch_up = timed
    try:
        archive = open_archive(db)
        list(archive.upsert_articles(made.articles))
    finally:
        stories.catch_up = catch_up
    predicted = dict(archive.conn.execute("SELECT url, story_id FROM articles"))
    return predicted, spent[0], archive


def regroup(archive: Archive) -> tuple[dict[str, object], float]:
    start = time.perf_counter()
    stories.rebuild(archive.conn)
    seconds = time.perf_counter() - start
    return dict(archive.conn.execute("SELECT url, story_id FROM articles")), seconds


def lsh_collisions(archive: Archive) -> dict[str, object]:
    """Stories if every LSH collision were taken as a copy (no verification)."""
    links = archive.conn.execute(
        "SELECT a.article_id, b.article_id FROM story_bands AS a JOIN story_bands AS b"
        " ON a.key = b.key AND a.article_id < b.article_id"
    ).fetchall()
    return components(archive, links)


def components(archive: Archive, links: Iterable[tuple[int, int]]) -> dict[str, object]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    return {url: find(i) for i, url in archive.conn.execute("SELECT id, url FROM articles")}


def simhashes(keys: list[str]) -> tuple[np.ndarray, float]:
    """64-bit simhash of each text's shingles (the same shingles MinHash sees), and the
    seconds per text. Written here, only to compare: a few lines of numpy."""
    start = time.perf_counter()
    out = np.zeros(len(keys), dtype=np.uint64)
    for n, key in enumerate(keys):
        grams = stories.shingles(key)
        if not grams:
            continue
        with np.errstate(over="ignore"):  # 64 bits from each 32-bit shingle hash
            hashes = np.array(sorted(grams), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        bits = np.unpackbits(hashes.view(np.uint8)).reshape(len(hashes), 64)
        votes = bits.sum(axis=0) * 2 > len(hashes)
        out[n] = np.packbits(votes).view(np.uint64)[0]
    return out, (time.perf_counter() - start) / max(1, len(keys))


def simhash_groups(archive: Archive, radius: int, prints: np.ndarray, ids: list[int]):
    """Every pair within ``radius`` bits, joined (exhaustive: no permuted tables)."""
    links = []
    for i in range(len(prints)):
        distance = np.bitwise_count(prints[i + 1 :] ^ prints[i])
        links.extend((ids[i], ids[i + 1 + j]) for j in np.nonzero(distance <= radius)[0])
    return components(archive, links)


def minhash_seconds(keys: list[str]) -> float:
    start = time.perf_counter()
    for key in keys:
        stories.band_keys(stories.signature(stories.shingles(key)))
    return (time.perf_counter() - start) / max(1, len(keys))


def quality(corpus_path: Path) -> str:
    corpus = read_corpus(corpus_path)
    made = labelled_set(corpus)
    kinds = Counter(
        k if k in ("original",) or "+" not in k else "wire copy" for k in made.kind.values()
    )
    lines = [
        "## Precision and recall on a labelled set",
        "",
        f"From {corpus_path.name} ({len(corpus):,} articles): {len(made.articles):,} articles,"
        f" {len(set(made.story.values())):,} stories: "
        + ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
        + f"; {len(made.quote_pairs)} pairs of different stories sharing a quote."
        " Precision and recall over pairs of articles in one story.",
        "",
        "| grouping | precision | recall | F1 | quote pairs merged | time per article |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        predicted, seconds, archive = group_with_archive(made, Path(tmp) / "labelled.db")
        per = seconds / len(made.articles)
        chosen = score(predicted, made)
        row = "| {} | {:.3f} | {:.3f} | {:.3f} | {} of {} | {} |"
        quotes = len(made.quote_pairs)
        lines.append(
            row.format(
                f"**MinHash-LSH {stories.BANDS}x{stories.ROWS} + verified (chosen)**",
                chosen.precision,
                chosen.recall,
                chosen.f1,
                chosen.quote_merged,
                quotes,
                f"{per * 1000:.2f} ms (grouping step of the write)",
            )
        )
        raw = score(lsh_collisions(archive), made)
        lines.append(
            row.format(
                "MinHash-LSH collisions alone",
                raw.precision,
                raw.recall,
                raw.f1,
                raw.quote_merged,
                quotes,
                "",
            )
        )
        ids_urls = archive.conn.execute(
            "SELECT a.id, f.text FROM articles AS a JOIN articles_fts AS f ON f.rowid = a.id"
            " ORDER BY a.id"
        ).fetchall()
        keys = [key for _, key in ids_urls]
        ids = [i for i, _ in ids_urls]
        prints, simhash_per = simhashes(keys)
        minhash_per = minhash_seconds(keys)
        for radius in (3, 6, 10, 14):
            found = score(simhash_groups(archive, radius, prints, ids), made)
            lines.append(
                row.format(
                    f"simhash 64-bit, Hamming <= {radius}",
                    found.precision,
                    found.recall,
                    found.f1,
                    found.quote_merged,
                    quotes,
                    f"{simhash_per * 1000:.2f} ms (fingerprint)" if radius == 3 else "",
                )
            )
        lines.append(
            f"\nSignatures alone: MinHash ({stories.NUM_PERM} permutations, band keys)"
            f" {minhash_per * 1000:.2f} ms per article, simhash {simhash_per * 1000:.2f} ms."
        )
        lines += ["", "Recall of the chosen grouping by variation (a copy has 2-4 of them):", ""]
        lines += ["| variation | recall |", "| --- | --- |"]
        lines += [f"| {kind} | {value:.3f} |" for kind, value in chosen.recall_by_kind.items()]
        lines += ["", "Other parameters (the same set, regrouped by `stories.rebuild`):", ""]
        lines += ["| parameters | precision | recall | F1 | quote pairs merged |"]
        lines += ["| --- | --- | --- | --- | --- |"]
        for name, changes in GRID:
            saved = {k: getattr(stories, k) for k in changes}
            for k, v in changes.items():
                setattr(stories, k, v)
            stories.FORMAT = stories.FORMAT + "-grid"
            try:
                found = score(regroup(archive)[0], made)
            finally:
                for k, v in saved.items():
                    setattr(stories, k, v)
                stories.FORMAT = stories.FORMAT.removesuffix("-grid")
            lines.append(
                f"| {name} | {found.precision:.3f} | {found.recall:.3f} | {found.f1:.3f} |"
                f" {found.quote_merged} of {quotes} |"
            )
        archive.close()
    return "\n".join(lines)


GRID: list[tuple[str, dict[str, object]]] = [
    ("shingles of 3 words", {"SHINGLE": 3}),
    ("shingles of 5 words", {"SHINGLE": 5}),
    ("Jaccard 0.3", {"JACCARD": 0.3}),
    ("Jaccard 0.5", {"JACCARD": 0.5}),
    ("Jaccard 0.6", {"JACCARD": 0.6}),
    ("no containment rule", {"CONTAINMENT": 1.01}),
    ("32 bands of 2 rows", {"BANDS": 32, "ROWS": 2}),
    ("16 bands of 4 rows", {"BANDS": 16, "ROWS": 4}),
    ("8 bands of 8 rows", {"BANDS": 8, "ROWS": 8}),
]


# --- scale --------------------------------------------------------------------------------


def vocabulary(corpus_path: Path, size: int = 30_000) -> tuple[list[str], np.ndarray]:
    counts: Counter[str] = Counter()
    for article in read_corpus(corpus_path)[:8000]:
        counts.update(search_key(article.text).split())
    words, freqs = zip(*counts.most_common(size), strict=True)
    p = np.array(freqs, dtype=float)
    return list(words), p / p.sum()


def synthetic(
    n: int, start: int, words: list[str], p: np.ndarray, rng: np.random.Generator, made: list[str]
) -> list[str]:
    """``n`` texts of 60-140 words; 2% near-copies (one word in 25 replaced) of earlier ones."""
    lengths = rng.integers(60, 140, n)
    drawn = rng.choice(len(words), size=int(lengths.sum()), p=p)
    texts, at = [], 0
    for i, length in enumerate(lengths):
        if made and rng.random() < 0.02:
            base = made[int(rng.integers(0, len(made)))].split()
            for j in range(0, len(base), 25):
                base[j] = words[int(rng.integers(0, len(words)))]
            texts.append(" ".join(base))
        else:
            texts.append(" ".join(words[k] for k in drawn[at : at + length]))
        at += length
        if (start + i) % 50 == 0:
            made.append(texts[-1])
    return texts


def fill(
    conn: sqlite3.Connection,
    total: int,
    words,
    p,
    rng,
    made: list[str],
    progress: Callable[[int], None],
) -> None:
    """``total`` articles by plain SQL (their text is already its search key)."""
    have = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    while have < total:
        n = min(20_000, total - have)
        texts = synthetic(n, have, words, p, rng, made)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO articles (id, url, source, title, text, content_hash, first_seen,"
            " last_fetched) VALUES (?, ?, 'synthetic', ?, ?, ?, '2024-01-01', '2024-01-01')",
            [
                (
                    have + i + 1,
                    f"https://synthetic.test/{have + i + 1}",
                    f"t{have + i + 1}",
                    text,
                    str(zlib.crc32(text.encode())),
                )
                for i, text in enumerate(texts)
            ],
        )
        conn.executemany(
            "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
            [(have + i + 1, "", text) for i, text in enumerate(texts)],
        )
        conn.execute("COMMIT")
        have += n
        progress(have)


def add_thousand(archive: Archive, words, p, rng, made, grouping: bool) -> float:
    texts = synthetic(1000, 10**9, words, p, rng, made)
    batch = [
        Article(url=f"https://added.test/{grouping}/{i}", title=f"added {i}", text=t, source="s")
        for i, t in enumerate(texts)
    ]
    original = Archive._stories_in_step
    if not grouping:
        Archive._stories_in_step = lambda self: None
    try:
        start = time.perf_counter()
        list(archive.upsert_articles(batch))
        return time.perf_counter() - start
    finally:
        Archive._stories_in_step = original


def scale(corpus_path: Path, sizes: list[int], db: Path) -> str:
    words, p = vocabulary(corpus_path)
    rng = np.random.default_rng(3)
    made: list[str] = []
    lines = [
        "## Grouping a large archive, adding 1,000 to it",
        "",
        f"Synthetic texts of 60-140 words drawn from ANT's {len(words):,} commonest search"
        " keys by frequency, 2% near-copies of earlier ones; inserted by SQL, then"
        " `stories.rebuild` (what `newsarchive stories --rebuild` runs) timed, then 1,000"
        " new articles written through `Archive.upsert_articles` with and without the"
        " grouping step. One process, 2 cores, SQLite WAL.",
        "",
        "| articles | rebuild (s) | per article (ms) | stories | story tables (MB) |"
        " add 1,000 (s) | of which grouping (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    db.unlink(missing_ok=True)
    archive = open_archive(db)
    conn = archive.conn
    for size in sizes:
        fill(
            conn,
            size,
            words,
            p,
            rng,
            made,
            lambda n: print(f"\r{n:,} articles", end="", file=sys.stderr),
        )
        start = time.perf_counter()
        stories.rebuild(conn, None)
        seconds = time.perf_counter() - start
        count = conn.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0]
        mb = (
            sum(
                conn.execute(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN"
                    " ('story_bands', 'story_signatures', 'articles_story')"
                ).fetchone()
            )
            / 1e6
        )
        with_grouping = add_thousand(archive, words, p, rng, made, True)
        without = add_thousand(archive, words, p, rng, made, False)
        lines.append(
            f"| {size:,} | {seconds:.0f} | {seconds / size * 1000:.2f} | {count:,} | {mb:.0f} |"
            f" {with_grouping:.2f} | {with_grouping - without:.2f} |"
        )
        print("\n" + lines[-1], file=sys.stderr)
        # The added articles stay: the next size is grown from here.
    archive.close()
    return "\n".join(lines)


def write_results(part: str, text: str) -> None:
    """Replace this part (quality or scale) of the results file, keeping the other."""
    parts = {"quality": "", "scale": ""}
    if RESULTS.exists():
        current = RESULTS.read_text(encoding="utf-8")
        for name, marker in (("quality", "## Precision"), ("scale", "## Grouping")):
            if marker in current:
                start = current.index(marker)
                end = min(
                    (
                        current.index(m, start + 1)
                        for m in ("## Precision", "## Grouping")
                        if m in current[start + 1 :]
                    ),
                    default=len(current),
                )
                parts[name] = current[start:end].strip()
    parts[part] = text.strip()
    header = (
        "# Story grouping (newsarchive.stories)\n\n"
        "Written by `bench/bench_stories.py` (see its docstring for how the sets are made).\n"
    )
    RESULTS.write_text(
        header + "".join(f"\n{parts[n]}\n" for n in ("quality", "scale") if parts[n]),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=["quality", "scale"])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "stories-bench.db")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus}; give --corpus the ant-v2.1 folder")
    if args.part == "quality":
        text = quality(args.corpus)
    else:
        text = scale(args.corpus, [int(s) for s in args.sizes.split(",")], args.db)
    print(text)
    write_results(args.part, text)


if __name__ == "__main__":
    main()
