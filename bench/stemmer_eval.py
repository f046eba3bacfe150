"""Which search key should the archive index? A known-item search evaluation on ANT v2.1.

For each key variant (plain FTS5 over the raw text as the baseline, normalisation only,
light10-style stemming with minimum stems 2 and 3, with single-letter clitics, with
hamza-seat folding, Snowball's Arabic stemmer, and normalised + stemmed forms both
indexed) this builds an in-memory FTS5 index over title and text, asks two-word queries
made from the titles of N seeded-random articles, perturbed the ways people really type
(no hamza, ه for ة, ي for ى, ال added or removed, tashkeel, singular/plural, و/ب clitics,
hamza seats dropped), ranks with bm25 (title weighted 10, text 1) and reports recall@10
and MRR@10 per perturbation. The article whose title made the query is the relevant one
(with any article carrying the identical title: agencies' reprints).

The corpus is read in place from ../shared (never copied). Run on demand:

    .venv/bin/python bench/stemmer_eval.py            # 10,000 articles, 1,000 queries
    .venv/bin/python bench/stemmer_eval.py --full     # all 31k articles

It writes its table to bench/stemmer_eval.md and stdout; it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsarchive.arabic.normalize import (  # noqa: E402
    DEFAULT_CONFIG,
    WORD_RE,
    KeyConfig,
    SearchKeyer,
    search_key,
    surface_key,
)
from newsarchive.query import parse_query  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared/data/corpora/ant-v2.1/antcorpus.multisource.data.tar.xz"
OUTPUT = ROOT / "bench" / "stemmer_eval.md"

FIELD_RE = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("URL", "TITLE", "TEXT")}

# Function words that make poor known-item queries (compared after normalisation).
STOPWORDS = re.findall(
    r"\S+",
    """
في من على إلى الى عن مع أن إن ان كان كانت يكون هذا هذه ذلك تلك التي الذي الذين اللذين
بعد قبل بين حول عند منذ خلال ضد أو او ثم لا لم لن ما ماذا هل قد كل غير بعض أي اي أكثر
أمام دون عبر حتى إذا اذا لكن هو هي هم نحن أنا كيف لماذا متى أين وفي ومن وعلى وقد ولا
بعدما عندما فيما كما مثل أيضا عليه عليها فيه فيها منه منها إلى له لها لهم سوف يا بل
""",
)


@dataclass
class Doc:
    url: str
    title: str
    text: str


@dataclass
class Variant:
    name: str
    description: str
    key: Callable[[str], str] | None  # None: plain FTS5 over the raw text
    query: Callable[[list[str]], str]
    forms: bool = False  # also title_forms/text_forms columns holding surface_key
    weights: str = "10.0, 1.0"
    results: dict[str, list[float]] = field(default_factory=dict)
    index_seconds: float = 0.0
    index_bytes: int = 0


def read_corpus(path: Path, limit: int | None) -> list[Doc]:
    """Articles of the ANT tarball, first occurrence of each URL only."""
    docs: list[Doc] = []
    seen: set[str] = set()
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            raw = tar.extractfile(member).read().decode("utf-8", errors="replace")
            fields = {name: regex.search(raw) for name, regex in FIELD_RE.items()}
            if not all(fields.values()):
                continue
            url, title, text = (fields[name].group(1).strip() for name in ("URL", "TITLE", "TEXT"))
            if url in seen or not title:
                continue
            seen.add(url)
            docs.append(Doc(url, title, text))
    if limit and len(docs) > limit:
        docs = random.Random(7).sample(docs, limit)
    return docs


def quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def make_variants() -> list[Variant]:
    def keyed(name: str, description: str, config: KeyConfig) -> Variant:
        keyer = SearchKeyer(config)

        def query(words: list[str]) -> str:
            keys = [keyer.term_key(word) for word in words]
            return " ".join(quoted(key) for key in keys if key)

        return Variant(name, description, keyer.search_key, query)

    def archive_query(words: list[str]) -> str:
        # Exactly what the archive runs: the query parser, each word an OR of term_keys.
        return parse_query(" ".join(words)).fts_expression()

    def forms_query(words: list[str]) -> str:
        query = parse_query(" ".join(words))
        return query.fts_expression(["title", "text"], ["title_forms", "text_forms"])

    def both(name: str, description: str, seats: bool, expand: bool) -> Variant:
        """Index each word's normalised form and its stem; a query word matches either
        (and, with expand, its stem without a leading ف ب ك ل)."""
        plain = SearchKeyer(KeyConfig(stemmer="none", fold_hamza_seats=seats))
        light = SearchKeyer(KeyConfig(fold_hamza_seats=seats))

        def key(text: str) -> str:
            out: list[str] = []
            for word in WORD_RE.findall(text):
                surface, stemmed = plain.term_key(word), light.term_key(word)
                out.extend(k for k in dict.fromkeys((surface, stemmed)) if k)
            return " ".join(out)

        def query(words: list[str]) -> str:
            groups = []
            for word in words:
                stems = light.term_keys(word) if expand else (light.term_key(word),)
                keys = [k for k in dict.fromkeys((plain.term_key(word), *stems)) if k]
                if keys:
                    groups.append("(" + " OR ".join(quoted(k) for k in keys) + ")")
            return " AND ".join(groups)

        return Variant(name, description, key, query)

    return [
        Variant(
            "fts5-raw",
            "plain FTS5 (unicode61) over the raw text",
            None,
            lambda words: " ".join(quoted(word) for word in words),
        ),
        keyed(
            "normalise",
            "normalisation only (seats folded), no stemming",
            KeyConfig(stemmer="none"),
        ),
        keyed("light-min2", "light10-style, min stem 2", KeyConfig(fold_hamza_seats=False)),
        keyed(
            "light-min3",
            "light10-style, min stem 3",
            KeyConfig(min_stem=3, fold_hamza_seats=False),
        ),
        keyed(
            "light-min2+fbkl",
            "light, also strips single ف ب ك ل",
            KeyConfig(min_stem=2, single_prefixes=True, fold_hamza_seats=False),
        ),
        keyed(
            "light-min2+seats",
            "light, also folds ؤ→و ئ→ي",
            KeyConfig(min_stem=2, fold_hamza_seats=True),
        ),
        keyed(
            "light-min2+seats+fbkl",
            "light, folds seats and strips single ف ب ك ل",
            KeyConfig(min_stem=2, fold_hamza_seats=True, single_prefixes=True),
        ),
        Variant(
            "archive",
            "newsarchive's choice: light-min2+seats indexed, queries through"
            " query.parse_query (each word ORs term_keys: ف ب ك ل maybe a clitic)",
            search_key,
            archive_query,
        ),
        Variant(
            "archive+forms",
            "archive, plus title_forms/text_forms columns (surface_key) that only add"
            " to the rank: fts_expression(columns, surface_columns), bm25 10,1,3,0.3",
            search_key,
            forms_query,
            forms=True,
            weights="10.0, 1.0, 3.0, 0.3",
        ),
        keyed(
            "snowball",
            "snowballstemmer arabic",
            KeyConfig(stemmer="snowball", fold_hamza_seats=False),
        ),
        both(
            "both-forms",
            "normalised + light-min2 stem indexed; query (form OR stem)",
            seats=False,
            expand=False,
        ),
        both(
            "both+seats+expand",
            "both forms indexed, seats folded; query (form OR term_keys)",
            seats=True,
            expand=True,
        ),
    ]


# ---------------------------------------------------------------- query perturbations

HARAKAT = "\u064e\u064f\u0650\u0652\u0651"  # fatha, damma, kasra, sukun, shadda
ARABIC = re.compile("[\u0621-\u064a]")


def toggle_article(word: str) -> str:
    if word.startswith("ال"):
        return word[2:]
    if len(word) > 3 and word[0] in "وبفكل" and word[1:3] == "ال":
        return word[0] + word[3:]
    return "ال" + word


def number(word: str) -> str:
    """A singular/plural counterpart where the ending makes one detectable."""
    if word.endswith("ات") and len(word) > 4:
        return word[:-2] + "ة"
    if word.endswith("ة"):
        return word[:-1] + "ات"
    if word.endswith(("ون", "ين")) and len(word) > 4:
        return word[:-2]
    if word.endswith("ى"):
        return word[:-1] + "يات"
    return word


def tashkeel(word: str, rng: random.Random) -> str:
    return "".join(
        ch + (rng.choice(HARAKAT) if ARABIC.match(ch) and rng.random() < 0.6 else "") for ch in word
    )


class Perturber:
    """Rewrites query words the ways people type them. Changes of form (ال, number,
    clitics) are kept only when the new form is a word of the corpus, so queries stay
    real Arabic (adding ال to a verb, or to a word that already has a clitic, is not)."""

    def __init__(self, vocabulary: set[str], normal: SearchKeyer, rng: random.Random) -> None:
        self.vocabulary = vocabulary
        self.normal = normal
        self.rng = rng

    def real(self, change: Callable[[str], str]) -> Callable[[str], str]:
        def changed(word: str) -> str:
            new = change(word)
            return new if self.normal.term_key(new) in self.vocabulary else word

        return changed

    def clitic(self, word: str) -> str:
        prefixes = list("وبل")
        self.rng.shuffle(prefixes)
        for prefix in prefixes:
            new = prefix + word
            if not word.startswith(prefix) and self.normal.term_key(new) in self.vocabulary:
                return new
        return word

    def __call__(self, words: list[str]) -> Iterator[tuple[str, list[str]]]:
        each: dict[str, Callable[[str], str]] = {
            "no hamza (أ إ آ→ا)": lambda w: re.sub("[أإآ]", "ا", w),
            "ه for ة": lambda w: re.sub("ة$", "ه", w),
            "ي for ى": lambda w: re.sub("ى$", "ي", w),
            "ال added/removed": self.real(toggle_article),
            "tashkeel added": lambda w: tashkeel(w, self.rng),
            "singular↔plural": self.real(number),
            "clitic و/ب/ل added": self.clitic,
            "hamza seats (ؤ→و ئ→ي)": lambda w: w.replace("ؤ", "و").replace("ئ", "ي"),
        }
        yield "exact", words
        for kind, change in each.items():
            changed = [change(word) for word in words]
            if changed != words:
                yield kind, changed


# ---------------------------------------------------------------------- the evaluation


def build_index(variant: Variant, docs: list[Doc]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    tokenizer = "unicode61" if variant.key is None else "unicode61 remove_diacritics 0"
    start = time.perf_counter()
    if variant.forms:
        db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, text, title_forms, text_forms,"
            f" tokenize='{tokenizer}')"
        )
        key = variant.key
        rows = (
            (i, key(doc.title), key(doc.text), surface_key(doc.title), surface_key(doc.text))
            for i, doc in enumerate(docs)
        )
        db.executemany(
            "INSERT INTO fts(rowid, title, text, title_forms, text_forms) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    else:
        db.execute(f"CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='{tokenizer}')")
        if variant.key is None:
            rows = ((i, doc.title, doc.text) for i, doc in enumerate(docs))
        else:
            key = variant.key
            rows = ((i, key(doc.title), key(doc.text)) for i, doc in enumerate(docs))
        db.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", rows)
    db.commit()
    variant.index_seconds = time.perf_counter() - start
    variant.index_bytes = db.execute("SELECT sum(length(block)) FROM fts_data").fetchone()[0]
    return db


def content_words(title: str, stop: set[str], normal: SearchKeyer) -> list[str]:
    words = []
    for word in WORD_RE.findall(title):
        key = normal.term_key(word)
        if ARABIC.search(word) and len(key) >= 3 and key not in stop and word not in words:
            words.append(word)
    return words


def make_queries(
    docs: list[Doc], count: int, seed: int, pick: str
) -> list[tuple[int, str, list[str]]]:
    """(target doc, perturbation kind, query words) triples."""
    normal = SearchKeyer(KeyConfig(stemmer="none", fold_hamza_seats=False))
    stop = {normal.term_key(word) for word in STOPWORDS}
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(normal.search_key(doc.title + " " + doc.text).split()))
    rng = random.Random(seed)
    perturb = Perturber(set(df), normal, rng)
    queries = []
    candidates = list(range(len(docs)))
    rng.shuffle(candidates)
    for target in candidates:
        words = content_words(docs[target].title, stop, normal)
        if len(words) < 2:
            continue
        if pick == "rare":
            # The two most specific words, in title order: what someone looking for a
            # known article types.
            chosen = sorted(words, key=lambda w: df[normal.term_key(w)])[:2]
        else:
            chosen = rng.sample(words, 2)
        chosen.sort(key=words.index)
        queries.extend((target, kind, q) for kind, q in perturb(chosen))
        if len({t for t, _, _ in queries}) >= count:
            break
    return queries


def evaluate(variant: Variant, docs: list[Doc], queries, relevant: list[set[int]]) -> None:
    db = build_index(variant, docs)
    sql = f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, {variant.weights}) LIMIT 10"
    for target, kind, words in queries:
        expression = variant.query(words)
        ranked = [row[0] for row in db.execute(sql, (expression,))] if expression else []
        rank = next((i + 1 for i, rowid in enumerate(ranked) if rowid in relevant[target]), 0)
        variant.results.setdefault(kind, []).append(1.0 / rank if rank else 0.0)
    db.close()


def table(variants: list[Variant], kinds: list[str], counts: Counter[str]) -> str:
    header = "| perturbation | n | " + " | ".join(v.name for v in variants) + " |"
    lines = [header, "|" + " --- |" * (len(variants) + 2)]

    def cell(scores: list[float]) -> str:
        recall = sum(1 for s in scores if s > 0) / len(scores)
        mrr = sum(scores) / len(scores)
        return f"{recall:.3f} / {mrr:.3f}"

    for kind in kinds:
        cells = " | ".join(cell(v.results[kind]) for v in variants)
        lines.append(f"| {kind} | {counts[kind]} | {cells} |")
    overall = " | ".join(cell([s for kind in kinds for s in v.results[kind]]) for v in variants)
    lines.append(f"| **overall** | {sum(counts.values())} | {overall} |")
    lines.append("")
    lines.append("| variant | what | index build s | index MB |")
    lines.append("| --- | --- | --- | --- |")
    for v in variants:
        lines.append(
            f"| {v.name} | {v.description} | {v.index_seconds:.1f} | {v.index_bytes / 1e6:.1f} |"
        )
    return "\n".join(lines)


def throughput(docs: list[Doc]) -> str:
    """search_key speed on this corpus with a fresh memo (cold) and a filled one (warm)."""
    texts = [doc.title + "\n" + doc.text for doc in docs]
    size = sum(len(text.encode("utf-8")) for text in texts)
    keyer = SearchKeyer(DEFAULT_CONFIG)
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        for text in texts:
            keyer.search_key(text)
        rates.append(size / (time.perf_counter() - start) / 1e6)
    return (
        f"search_key throughput ({DEFAULT_CONFIG}), one core, {size / 1e6:.0f} MB of UTF-8: "
        f"{rates[0]:.1f} MB/s with an empty memo, {rates[1]:.1f} MB/s with a warm one."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=10_000, help="articles to index")
    parser.add_argument("--full", action="store_true", help="index the whole corpus")
    parser.add_argument("--queries", type=int, default=1000, help="target articles")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--pick", choices=("rare", "random"), default="rare")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--only", nargs="*", metavar="NAME", help="run only these variants")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus PATH)")

    started = time.perf_counter()
    docs = read_corpus(args.corpus, None if args.full else args.docs)
    queries = make_queries(docs, args.queries, args.seed, args.pick)
    by_title: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        by_title.setdefault(" ".join(doc.title.split()), set()).add(i)
    relevant = [by_title[" ".join(doc.title.split())] for doc in docs]
    counts = Counter(kind for _, kind, _ in queries)
    kinds = list(dict.fromkeys(kind for _, kind, _ in queries))

    speed = throughput(docs)
    variants = [v for v in make_variants() if not args.only or v.name in args.only]
    for variant in variants:
        evaluate(variant, docs, queries, relevant)
        print(f"  {variant.name}: indexed in {variant.index_seconds:.1f}s", file=sys.stderr)

    report = "\n".join(
        [
            "# Stemmer evaluation (bench/stemmer_eval.py)",
            "",
            f"Corpus: ANT v2.1, {len(docs):,} unique articles"
            f"{' (all)' if args.full else f' (seeded sample of {args.docs:,})'}; "
            f"{len({t for t, _, _ in queries}):,} target articles, two-word queries from "
            f"the {'two rarest' if args.pick == 'rare' else 'two random'} content words of "
            f"each title, seed {args.seed}. Ranking: bm25 with title weighted 10, text 1 "
            "(weights of extra columns in the second table), top 10.",
            "Cells: recall@10 / MRR@10. A perturbation counts only queries it changes; "
            "'overall' pools every query of every row.",
            "",
            table(variants, kinds, counts),
            "",
            speed,
            "",
            f"Run time: {time.perf_counter() - started:.0f} s.",
            "",
        ]
    )
    args.output.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
