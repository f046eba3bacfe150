"""The derived search index: tantivy over the archive's search keys, for an exact top-k.

SQLite's FTS5 must score every match before it can say which ten are best, and bm25()
first walks the term's whole doclist to count its matches: for a word in a third of a
million articles that is seconds (issue 11; bench/results/search-ranking.md). tantivy
keeps per-block score bounds and skips blocks that cannot reach the current top-k
(block-max WAND), so the exact best ten cost milliseconds at any archive size.

What it holds is *derived*: the search keys already in ``articles_fts`` (the archive
computes them once, with newsarchive.arabic), tokenised by whitespace, plus the fields
the filters and facets need. ``newsarchive reindex`` rebuilds it from the archive; the
archive works without it (plain sqlite3 readers, FTS5 fallback in newsarchive.search).

Keeping it in step, crash-safely (the archive's migration 3 creates the change log):

1. Every insert, update and delete of an article appends its id to ``search_changes``
   (triggers, so any writer is logged) in the same SQLite transaction as the change.
2. :meth:`SearchIndex.sync` reads, in one read transaction, the log past the index's
   high-water mark ``seq`` and the current state of those articles; it replaces each
   one in tantivy (delete by id, add the current row if it still exists), commits
   tantivy, and only then records the new ``seq`` in ``state.json`` (atomic rename).
3. Replaying a change is idempotent (the current row wins), so a kill -9 anywhere -
   after the SQLite commit, inside the tantivy commit, before ``state.json`` is
   written - only means the next sync replays a few changes again. The next search
   syncs before it reads, so no article is findable in one index and not the other.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsarchive.arabic.normalize import form_key, surface_key

log = logging.getLogger(__name__)

try:  # a declared dependency; the archive still searches (FTS5) without it
    import tantivy
except ImportError:  # pragma: no cover - exercised only on a broken install
    tantivy = None

# Bump when the schema or what is indexed changes: an index of another format is rebuilt.
FORMAT = 5
STATE_FILE = "state.json"
# A word in the headline says more about what an article is about than the same word in
# its body (bench/stemmer_eval.md ranks with 10, 1).
TITLE_BOOST = 10.0
TEXT_BOOST = 1.0
# The headline's forms as typed (without ال, and as written): a title holding the very
# word typed outranks one holding only its stem. Chosen on bench_search_quality.py
# (bench/results/search-quality.md): (forms, surface) = (5, 3) against (10, 5), (3, 2) and
# (6, 6), all within 0.002 overall; (5, 3) best for plural and ال variants.
FORMS_BOOST = 5.0
SURFACE_BOOST = 3.0
# Changes applied per tantivy commit when catching up, and the writer's memory.
SYNC_CHUNK = 50_000
WRITER_HEAP = 128 * 1024 * 1024
# How long a sync waits for another process's writer lock before giving up.
LOCK_WAIT = 10.0


class IndexUnavailable(Exception):
    """The derived index cannot be used now (not built, locked, unwritable, no tantivy)."""


def index_dir(db_path: str | Path) -> Path:
    """Where the derived index of the archive at ``db_path`` lives: beside it."""
    path = Path(db_path)
    return path.with_name(path.name + ".search")


def db_file(conn: sqlite3.Connection) -> Path | None:
    """The file of ``conn``'s main database, or None for an in-memory one."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file) if file else None
    return None


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    # The keys are lower-case words joined by single spaces (newsarchive.arabic).
    builder.add_text_field("title", tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="position")
    # The headline's words as written (normalised, not stemmed, without ال): the form a
    # reader typed ranks above its stem's other words (مدرسة over المدارس, السعودية over
    # السعودة), whether or not the reader typed the article.
    builder.add_text_field("forms", tokenizer_name="whitespace", index_option="position")
    # ... and as written, article included: the very form typed ranks higher still.
    builder.add_text_field("surface", tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("source", tokenizer_name="raw", fast=True)
    builder.add_text_field("month", tokenizer_name="raw", fast=True)
    builder.add_text_field("category", tokenizer_name="raw")
    # published's date as printed (YYYYMMDD), for since/until.
    builder.add_integer_field("day", indexed=True, fast=True)
    # The article's story (newsarchive.stories; minus its id when not grouped), so
    # totals and facets can count stories rather than copies.
    builder.add_integer_field("story", fast=True)
    return builder.build()


@dataclass(frozen=True)
class Row:
    """What the index holds of one article."""

    id: int
    title: str
    text: str
    source: str | None
    published: str | None
    month: str | None
    categories: str
    headline: str
    story: int

    def document(self) -> Any:
        doc = tantivy.Document()
        doc.add_unsigned("id", self.id)
        doc.add_text("title", self.title)
        doc.add_text("text", self.text)
        doc.add_text("forms", form_key(self.headline))
        doc.add_text("surface", surface_key(self.headline))
        if self.source:
            doc.add_text("source", self.source)
        if self.month:
            doc.add_text("month", self.month)
        for category in _categories(self.categories):
            doc.add_text("category", category)
        if self.published and (day := _day(self.published)) is not None:
            doc.add_integer("day", day)
        doc.add_integer("story", self.story)
        return doc


def _categories(value: str | None) -> list[str]:
    try:
        parsed = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(c) for c in parsed if c] if isinstance(parsed, list) else []


def _day(published: str) -> int | None:
    digits = published[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else None


def day_number(iso_date: str) -> int:
    """YYYY-MM-DD as the integer the ``day`` field holds."""
    return int(iso_date.replace("-", ""))


_ROWS = (
    "SELECT a.id, f.title, f.text, a.source, a.published, a.month, a.categories, a.title,"
    " coalesce(a.story_id, -a.id) FROM articles AS a JOIN articles_fts AS f ON f.rowid = a.id"
)


def _rows_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for start in range(0, len(ids), 5000):
        chunk = json.dumps(ids[start : start + 5000])
        for values in conn.execute(
            f"{_ROWS} WHERE a.id IN (SELECT value FROM json_each(?))", (chunk,)
        ):
            found[values[0]] = Row(*values)
    return found


def last_change(conn: sqlite3.Connection) -> int:
    """The archive's newest change-log entry (0 for none)."""
    return conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]


@contextlib.contextmanager
def _read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction (a consistent snapshot in WAL mode), unless the caller
    already holds one."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


class SearchIndex:
    """An open derived index. Use :func:`open_index`."""

    def __init__(self, path: Path, index: Any, state: dict[str, Any]) -> None:
        self.path = path
        self.index = index
        self.schema = index.schema
        self.state = state

    @property
    def seq(self) -> int:
        return int(self.state.get("seq", 0))

    # -- keeping in step --

    def _writer(self) -> Any:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return self.index.writer(WRITER_HEAP, 1)
            except (ValueError, OSError) as exc:  # LockBusy: another process syncs
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise IndexUnavailable(f"search index at {self.path} is busy ({exc})") from exc
                time.sleep(0.05)

    def sync(
        self,
        conn: sqlite3.Connection,
        *,
        before_commit: Callable[[], None] | None = None,
    ) -> int:
        """Apply the archive's changes past ``seq``; returns how many articles were
        replaced. ``before_commit`` runs just before each tantivy commit (tests use it
        to simulate a kill there)."""
        if last_change(conn) <= self.seq:
            return 0
        writer = self._writer()
        try:
            self._reload_state()  # another process may have synced while we waited
            applied = 0
            while True:
                with _read_snapshot(conn):
                    changes = conn.execute(
                        "SELECT seq, article_id FROM search_changes WHERE seq > ?"
                        " ORDER BY seq LIMIT ?",
                        (self.seq, SYNC_CHUNK),
                    ).fetchall()
                    if not changes:
                        break
                    ids = list(dict.fromkeys(article_id for _, article_id in changes))
                    rows = _rows_by_id(conn, ids)
                # One delete for the chunk, then the current rows: a delete applies to
                # the documents added before it. (delete_documents_by_term misses u64
                # terms in tantivy-py 0.27; a term-set query does not.)
                writer.delete_documents_by_query(
                    tantivy.Query.term_set_query(self.schema, "id", ids)
                )
                for row in rows.values():
                    writer.add_document(row.document())
                if before_commit is not None:
                    before_commit()
                writer.commit()
                self._write_state({**self.state, "seq": changes[-1][0]})
                applied += len(ids)
            return applied
        finally:
            writer.wait_merging_threads()
            self.index.reload()

    def _reload_state(self) -> None:
        self.state = _read_state(self.path) or self.state

    def _write_state(self, state: dict[str, Any]) -> None:
        _write_state(self.path, state)
        self.state = state

    # -- reading --

    def searcher(self) -> Any:
        return self.index.searcher()


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_state(path: Path, state: dict[str, Any]) -> None:
    temporary = path / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(state), encoding="utf-8")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path / STATE_FILE)


# One open index per directory and build, per process (Datasette serves many requests).
_OPEN: dict[Path, SearchIndex] = {}


def open_index(db_path: str | Path) -> SearchIndex:
    """The derived index of the archive at ``db_path``; raises :class:`IndexUnavailable`
    when it has not been built (``newsarchive reindex``) or is of another format."""
    if tantivy is None:
        raise IndexUnavailable("tantivy is not installed")
    path = index_dir(db_path)
    state = _read_state(path)
    if state is None:
        raise IndexUnavailable(f"no search index at {path}; run `newsarchive reindex`")
    if state.get("format") != FORMAT:
        raise IndexUnavailable(f"the search index at {path} is outdated; run `newsarchive reindex`")
    cached = _OPEN.get(path)
    if cached is not None and cached.state.get("build") == state.get("build"):
        cached.state = state
        cached.index.reload()
        return cached
    try:
        index = tantivy.Index(_schema(), path=str(path), reuse=True)
    except (ValueError, OSError) as exc:
        raise IndexUnavailable(f"cannot open the search index at {path} ({exc})") from exc
    opened = SearchIndex(path, index, state)
    _OPEN[path] = opened
    return opened


def build_index(
    conn: sqlite3.Connection,
    db_path: str | Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Build the derived index of the archive from scratch beside ``db_path`` and put it
    in place of any older one; returns how many articles it holds.

    Built in a new directory from one read snapshot (whose last change-log entry becomes
    its ``seq``), then swapped in by renames: readers keep the old one until then, and
    changes made during the build are replayed by the next sync."""
    if tantivy is None:
        raise IndexUnavailable("tantivy is not installed")
    final = index_dir(db_path)
    _remove_stale(final)
    building = final.with_name(f"{final.name}.new-{uuid.uuid4().hex[:12]}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    index = tantivy.Index(_schema(), path=str(building), reuse=False)
    writer = index.writer(WRITER_HEAP, 1)
    count = 0
    with _read_snapshot(conn):
        seq = last_change(conn)
        cursor = conn.execute(_ROWS + " ORDER BY a.id")
        while rows := cursor.fetchmany(2000):
            for values in rows:
                writer.add_document(Row(*values).document())
            count += len(rows)
            if progress:
                progress(len(rows))
    writer.commit()
    writer.wait_merging_threads()
    _write_state(building, {"format": FORMAT, "seq": seq, "build": uuid.uuid4().hex})
    retired = final.with_name(f"{final.name}.old-{uuid.uuid4().hex[:12]}")
    if final.exists():
        os.replace(final, retired)
    os.replace(building, final)
    shutil.rmtree(retired, ignore_errors=True)
    _OPEN.pop(final, None)
    return count


# A build directory untouched this long was left by a build that died.
STALE_BUILD = 3600.0


def _remove_stale(final: Path) -> None:
    """Delete what killed builds left beside the index: retired copies, and unfinished
    builds not written to for STALE_BUILD seconds (a live one writes all the time)."""
    now = time.time()
    for leftover in final.parent.glob(f"{final.name}.*-*"):
        try:
            if leftover.name.startswith(f"{final.name}.old-") or (
                leftover.name.startswith(f"{final.name}.new-")
                and now - leftover.stat().st_mtime > STALE_BUILD
            ):
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


# One build at a time in a process (Datasette answers requests on several threads).
_BUILDING = threading.Lock()


def open_or_build(conn: sqlite3.Connection, db_path: str | Path, up_to: int) -> SearchIndex:
    """The derived index, built first if there is none and the archive holds at most
    ``up_to`` articles; raises :class:`IndexUnavailable` otherwise."""
    try:
        return open_index(db_path)
    except IndexUnavailable:
        with _BUILDING:
            try:  # another thread may have built it while this one waited
                return open_index(db_path)
            except IndexUnavailable:
                if conn.execute("SELECT count(*) FROM articles").fetchone()[0] > up_to:
                    raise
                build_index(conn, db_path)
        return open_index(db_path)


def index_size(db_path: str | Path) -> int:
    """Bytes on disk of the derived index."""
    return sum(f.stat().st_size for f in index_dir(db_path).rglob("*") if f.is_file())


# --- searching -------------------------------------------------------------------------


# How many distinct stories the matches belong to.
_STORIES = {"cardinality": {"field": "story"}}


class Searching:
    """Translates a parsed query (newsarchive.query) into tantivy's and runs it: the
    score of an article is bm25 of each query key over its title (weighted TITLE_BOOST)
    plus bm25 over its text, summed over the keys that match."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.schema = index.schema
        self.searcher = index.searcher()

    def _words(self, words: tuple[str, ...], field: str) -> Any:
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, field, words[0])
        return tantivy.Query.phrase_query(self.schema, field, list(words))

    def idf(self, field: str, key: str) -> float:
        """bm25's idf of ``key`` in ``field``, as tantivy computes it."""
        matches = self.searcher.doc_freq(field, key)
        return math.log(1 + (self.searcher.num_docs - matches + 0.5) / (matches + 0.5))

    def _operand(self, operand: Any) -> Any:
        # A phrase is its words in order; a word is any of its alternative keys, each
        # of which may be several words itself (NFKC splits a few tokens).
        if operand.phrase:
            alternatives = [tuple(operand.keys)]
        else:
            alternatives = [tuple(key.split()) for key in operand.keys]
        should = []
        for field, boost in (("title", TITLE_BOOST), ("text", TEXT_BOOST)):
            main = alternatives[0]
            for words in alternatives:
                part = self._words(words, field)
                weight = boost
                if words is not main and len(words) == 1 and len(main) == 1:
                    # بوزارة and لوزارة are the word وزارة: scored with its idf, not
                    # with their own (a rarer spelling must not outrank the word).
                    own = self.idf(field, words[0])
                    weight *= self.idf(field, main[0]) / own if own > 0 else 1.0
                if weight != 1.0:
                    part = tantivy.Query.boost_query(part, weight)
                should.append((tantivy.Occur.Should, part))
        typed = tuple(form_key(" ".join(operand.surface)).split())
        if typed and FORMS_BOOST:
            forms = tantivy.Query.boost_query(self._words(typed, "forms"), FORMS_BOOST)
            should.append((tantivy.Occur.Should, forms))
        if operand.surface and SURFACE_BOOST:
            exact = self._words(tuple(operand.surface), "surface")
            should.append((tantivy.Occur.Should, tantivy.Query.boost_query(exact, SURFACE_BOOST)))
        return should[0][1] if len(should) == 1 else tantivy.Query.boolean_query(should)

    def _filters(self, filters: Any) -> list[Any]:
        clauses = []
        if filters.source:
            clauses.append(tantivy.Query.term_query(self.schema, "source", filters.source))
        if filters.category:
            clauses.append(tantivy.Query.term_query(self.schema, "category", filters.category))
        if filters.since or filters.until:
            clauses.append(
                tantivy.Query.range_query(
                    self.schema,
                    "day",
                    tantivy.FieldType.Integer,
                    day_number(filters.since) if filters.since else None,
                    day_number(filters.until) if filters.until else None,
                )
            )
        # Filters select; they add nothing to the score.
        return [tantivy.Query.const_score_query(clause, 0.0) for clause in clauses]

    def query(self, query: Any, filters: Any) -> Any:
        clauses = []
        for clause in query.clauses:
            operands = [self._operand(operand) for operand in clause]
            if len(operands) == 1:
                clauses.append(operands[0])
            else:
                should = [(tantivy.Occur.Should, operand) for operand in operands]
                clauses.append(tantivy.Query.boolean_query(should))
        excluded = [self._operand(operand) for operand in query.excluded]
        restrictions = self._filters(filters)
        if len(clauses) == 1 and not excluded and not restrictions:
            return clauses[0]
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, clause) for clause in clauses]
            + [(tantivy.Occur.MustNot, clause) for clause in excluded]
            + [(tantivy.Occur.Must, clause) for clause in restrictions]
        )

    def count(self, compiled: Any) -> int:
        return self.searcher.search(compiled, limit=1, count=True).count

    def best(self, compiled: Any, wanted: int) -> list[tuple[int, float]]:
        """The ``wanted`` best (article id, score), best first, ties newest (highest
        id) first: exactly the first ``wanted`` of every match ranked by score."""
        if wanted <= 0:
            return []
        # Beyond the wanted, a margin: the cut must fall below the wanted-th score.
        fetch = max(2 * wanted, wanted + 10)
        while True:
            hits = self.searcher.search(compiled, limit=fetch, count=False).hits
            # tantivy keeps an arbitrary one of equal scores at the cut; fetch on until
            # the cut falls below the wanted-th score, so every tie is there to order.
            if len(hits) < fetch or hits[-1][0] < hits[min(wanted, len(hits)) - 1][0]:
                break
            fetch *= 4
        ids = self.searcher.fast_field_values("id", [address for _, address in hits])
        ranked = sorted(
            zip(ids, (score for score, _ in hits), strict=True),
            key=lambda pair: (-pair[1], -pair[0]),
        )
        return ranked[:wanted]

    def ids(self, compiled: Any, limit: int) -> list[int]:
        """The ids of up to ``limit`` matches, in no particular order."""
        if limit <= 0:
            return []  # tantivy panics on a limit of 0
        hits = self.searcher.search(compiled, limit=limit, count=False).hits
        return self.searcher.fast_field_values("id", [address for _, address in hits])

    def count_stories(self, compiled: Any) -> int:
        """About how many stories the matches belong to (tantivy's cardinality:
        HyperLogLog++, within about 1% from a few thousand on; not exact even for
        hundreds, so newsarchive.search counts small sets itself)."""
        result = self.searcher.aggregate(compiled, {"stories": _STORIES})
        return round(result["stories"]["value"] or 0)

    def facets(self, compiled: Any, per_story: bool = False) -> dict[str, list[tuple[str, int]]]:
        """Counts per source and month over every match: of articles, or of stories
        (``per_story``: a story with copies in two sources counts under each)."""
        spec = {
            name: {"terms": {"field": name, "size": 100_000, "missing": ""}}
            for name in ("source", "month")
        }
        if per_story:
            for terms in spec.values():
                terms["aggs"] = {"stories": _STORIES}
        result = self.searcher.aggregate(compiled, spec)

        def count(bucket: dict[str, Any]) -> int:
            return round(bucket["stories"]["value"]) if per_story else int(bucket["doc_count"])

        counts = {
            name: [(str(b["key"]), count(b)) for b in result[name]["buckets"]]
            for name in ("source", "month")
        }
        return {
            "source": sorted(counts["source"], key=lambda kv: (-kv[1], kv[0])),
            "month": sorted(counts["month"], reverse=True),
        }
