"""One story across its copies: near-duplicate grouping of the archive's articles.

The same story reaches the archive many times: an APS (وأج) dispatch printed by five
Algerian papers, each with its own byline, dateline, intro or closing line; the seed
file and the crawled page of one article; an article and its AMP or print twin. Each
article gets a story id (``articles.story_id``); search shows one hit per story and the
article page lists the story's copies (newsarchive.search, newsarchive.web.stories).

How (chosen by measurement, bench/bench_stories.py, bench/results/stories.md):

* A text is the set of its word SHINGLE-grams taken from its Arabic search key (the
  ``articles_fts.text`` the archive already stores: hamza, taa marbuta, tashkeel folded
  and words stemmed by newsarchive.arabic), so orthographic variants do not split a
  story. Titles are left out: papers retitle wire copies.
* Candidates come from MinHash signatures (datasketch) cut into BANDS bands of ROWS
  values (LSH). MinHash over simhash by measurement (bench/results/stories.md, pairs of
  copies on a labelled set from ANT): on wire copies with a site's boilerplate, a
  byline, a dropped paragraph or a rewritten sentence, 64-bit simhash over the same
  shingles, even comparing every pair, found 0.22 of the pairs within 3 bits and 0.72
  within 10, and at 14 bits (0.92) its precision fell to 0.89; MinHash-LSH verified
  found 0.991 at 0.988 precision, for 0.35 ms of signature per article against 0.24.
* A candidate is the same story only when the shingle sets themselves say so
  (:func:`same_story`): Jaccard at least JACCARD, or one text nearly contained in the
  other (CONTAINMENT) with at least MIN_SHARED shingles in common. An LSH collision
  alone is never enough, and a short text that shares a quote with a long one is not
  its copy: containment needs a real amount of shared text, not a quote.
* Each article joins the story of the most similar earlier copy (or starts one), so
  processing the archive in id order (``newsarchive stories --rebuild``) gives the same
  stories as the writes did one by one.

Kept in step through the change log the derived search index replays (``search_changes``,
filled by triggers on every insert, update and delete of an article): the archive calls
:func:`catch_up` inside each write transaction (Archive.upsert_articles, delete_article),
so a story id is never stale, and the LSH state lives in SQLite (``story_bands``: one
row per band of each article, keyed for lookup) so adding 1,000 articles to a million
looks up 1,000 x BANDS keys and rebuilds nothing. An article whose text changes (or
that is deleted) leaves its story, and the story's remaining copies are regrouped among
themselves, so a copy that only matched through it does not stay in a wrong story.

Why band keys are ours and not datasketch's MinHashLSH: its storage is in memory, Redis
or Cassandra; the archive is one SQLite file, and the bands must commit with the
articles they describe.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import struct
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Words per shingle. On the labelled set (bench/results/stories.md) 3, 4 and 5 score
# within 0.001 of F1, 4 the best; 3 merges more different stories.
SHINGLE = 4
# MinHash length and its LSH cut: 21 bands of 3 rows collide for 93% of the pairs at
# Jaccard 0.5, 99.9% at 0.7 and 2% at 0.1 (1 - (1 - s^3)^21), with 21 rows per article.
# On the labelled set (bench/results/stories.md) 16 bands of 4 missed 2.7% of the
# copies (0.973 recall) against 0.9% for 21 of 3, for as many candidates per article;
# 32 of 2 found 0.3% more with twice the candidates; 8 of 8 lost a quarter.
ROWS = 3
BANDS = 21
# The signature's length: the bands use the first BANDS x ROWS values.
NUM_PERM = 64
# What makes two texts one story (see same_story); chosen on the labelled set: Jaccard
# 0.4 (0.5 and 0.6 lose copies with a rewritten sentence or a block of related links;
# 0.3 merges more different stories), and no pair of different stories sharing a quote
# is merged at any of them; LSH collisions alone merge two, at 0.86 precision.
JACCARD = 0.4
# A copy cut to its first paragraphs (a teaser) is mostly inside the full text though
# their Jaccard is low; the labelled set holds no such copy, and this rule changes
# nothing there.
CONTAINMENT = 0.8
CONTAINED_JACCARD = 0.3
MIN_SHARED = 40
# A text of fewer shingles than MIN_SHARED is short: one changed word is a large part
# of it ("the flood in district 1" against "... district 3"), so only a near-exact copy
# (a byline or dateline around the same words) is the same story.
SHORT_CONTAINMENT = 0.9
# Candidates verified per article, most band collisions first (a wire story printed by
# more papers than this still groups: each copy needs only one earlier copy to match).
MAX_CANDIDATES = 40
# A story with more copies than this is not regrouped when one leaves (its copies
# still match each other; regrouping it would cost seconds on every edit).
REGROUP_LIMIT = 500
# An archive that has never been grouped is grouped by its next write if it holds at
# most this many articles (seconds); a bigger one waits for `newsarchive stories
# --rebuild` and its articles show as their own stories until then.
AUTO_GROUP = 20_000
# Stored with the state: another shingle size or band cut makes the stored bands
# meaningless, and the archive asks for a rebuild (thresholds apply as they are).
FORMAT = f"minhash-affine32/crc32-words-{SHINGLE}/{BANDS}x{ROWS}"

_MASK32 = np.uint64(0xFFFFFFFF)
# Odd 64-bit constants for the word and band hash mixing below.
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = np.uint64(0xBF58476D1CE4E5B9)


# --- texts --------------------------------------------------------------------------------

# crc32 of each word met lately: a news vocabulary repeats, and hashing a word once
# instead of each time is what makes shingling cheap (bench/results/stories.md).
_WORD_HASHES: dict[str, int] = {}
_WORD_CACHE = 200_000


def _word_hash(word: str) -> int:
    try:
        return _WORD_HASHES[word]
    except KeyError:
        if len(_WORD_HASHES) >= _WORD_CACHE:
            _WORD_HASHES.clear()
        found = _WORD_HASHES[word] = zlib.crc32(word.encode())
        return found


def shingles(key: str) -> set[int]:
    """The word SHINGLE-grams of a search key, as 32-bit hashes (a text of fewer words
    is one shingle). The words' crc32s are combined in numpy rather than each shingle
    joined into a string and hashed: same sets, a fifth of the time."""
    split = key.split()
    words = np.fromiter(map(_word_hash, split), dtype=np.uint64, count=len(split))
    if not len(words):
        return set()
    span = min(SHINGLE, len(words))
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as a hash should
        mixed = words[: len(words) - span + 1].copy()
        for offset in range(1, span):
            mixed = mixed * _MIX + words[offset : len(words) - span + 1 + offset]
    return set(((mixed >> np.uint64(32)) ^ (mixed & _MASK32)).tolist())


def _same(value: int) -> int:
    return value


@cache
def _minhash() -> tuple[type, Any]:
    """datasketch's MinHash and the permutations every signature shares. Imported on the
    first signature, not with this module: search and every command import it for the
    reading functions below, and datasketch takes ~0.4 s to import."""
    from datasketch import MinHash

    return MinHash, MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations


def signature(grams: Iterable[int]) -> np.ndarray:
    """The MinHash of a shingle set (its values already hashes: stable across processes)."""
    minhash_class, permutations = _minhash()
    minhash = minhash_class(
        num_perm=NUM_PERM, hashfunc=_same, scheme="affine32", permutations=permutations
    )
    minhash.update_batch(list(grams))
    return minhash.hashvalues


def band_keys(hashvalues: np.ndarray) -> list[int]:
    """One signed 64-bit key per band: its ROWS values and its number, mixed."""
    rows = hashvalues[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = np.arange(1, BANDS + 1, dtype=np.uint64) * _BAND_SALT
        for row in range(ROWS):
            keys = (keys ^ rows[:, row]) * _MIX
        keys ^= keys >> np.uint64(29)
    return keys.view(np.int64).tolist()


@dataclass(frozen=True)
class Likeness:
    shared: int
    jaccard: float
    containment: float


def likeness(a: set[int], b: set[int]) -> Likeness:
    shared = len(a & b)
    if not shared:
        return Likeness(0, 0.0, 0.0)
    return Likeness(shared, shared / len(a | b), shared / min(len(a), len(b)))


def same_story(a: set[int], b: set[int]) -> bool:
    """Whether two shingle sets are copies of one story: mostly the same shingles, or
    one nearly inside the other over a real length and share (a copy with its intro or
    last paragraph dropped), never a shared quote; a short text only as a near-exact
    copy."""
    seen = likeness(a, b)
    if seen.jaccard < CONTAINED_JACCARD:
        return False
    if min(len(a), len(b)) < MIN_SHARED:
        return seen.containment >= SHORT_CONTAINMENT and seen.jaccard >= JACCARD
    return seen.jaccard >= JACCARD or seen.containment >= CONTAINMENT


# --- state ----------------------------------------------------------------------------


def _state(conn: sqlite3.Connection) -> tuple[int | None, int]:
    """(the change-log seq grouped up to, or None if never grouped; the next story id)."""
    seq, next_story, fmt = conn.execute(
        "SELECT seq, next_story, format FROM story_state"
    ).fetchone()
    return (seq if fmt == FORMAT else None), next_story


def _last_change(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM search_changes").fetchone()[0]


class _Grouper:
    """Assigns stories within the caller's write transaction."""

    def __init__(self, conn: sqlite3.Connection, staged: bool = False) -> None:
        self.conn = conn
        # Staged (a regrouping of everything): stories are kept in story_signatures
        # only, and written to articles at the end where they changed (_keep_story_ids).
        self.staged = staged
        self.next_story = _state(conn)[1]
        self.keys: dict[int, set[int]] = {}

    def _new_story(self) -> int:
        story = self.next_story
        self.next_story += 1
        return story

    def grams(self, article_id: int) -> set[int]:
        if article_id not in self.keys:
            row = self.conn.execute(
                "SELECT text FROM articles_fts WHERE rowid = ?", (article_id,)
            ).fetchone()
            self.keys[article_id] = shingles(row[0] if row else "")
        return self.keys[article_id]

    def forget(self, article_id: int) -> int | None:
        """Remove an article's bands (before it is re-grouped or after it is deleted);
        returns the story it was in."""
        row = self.conn.execute(
            "SELECT bands, story_id FROM story_signatures WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return None
        keys = struct.unpack(f"<{len(row[0]) // 8}q", row[0])
        self.conn.executemany(
            "DELETE FROM story_bands WHERE key = ? AND article_id = ?",
            [(key, article_id) for key in keys],
        )
        self.conn.execute("DELETE FROM story_signatures WHERE article_id = ?", (article_id,))
        self.keys.pop(article_id, None)
        return row[1]

    def candidates(self, keys: list[int], article_id: int) -> list[int]:
        """Earlier-grouped articles sharing a band, most shared bands first."""
        placeholders = ", ".join("?" for _ in keys)
        rows = self.conn.execute(
            f"SELECT article_id, count(*) AS n FROM story_bands WHERE key IN ({placeholders})"
            " AND article_id != ? GROUP BY article_id ORDER BY n DESC, article_id LIMIT ?",
            (*keys, article_id, MAX_CANDIDATES),
        )
        return [found for found, _ in rows]

    def best_match(self, grams: set[int], candidates: Iterable[int]) -> int | None:
        """The candidate most like ``grams`` among those that are the same story."""
        best, best_jaccard = None, -1.0
        for candidate in candidates:
            other = self.grams(candidate)
            if same_story(grams, other):
                jaccard = likeness(grams, other).jaccard
                if jaccard > best_jaccard:
                    best, best_jaccard = candidate, jaccard
        return best

    def assign(self, article_id: int, content_hash: str) -> tuple[int | None, int]:
        """Group one article (its bands stored, its story set); returns its story before
        (None if it had none) and now."""
        before = self.forget(article_id)
        grams = self.grams(article_id)
        keys = band_keys(signature(grams))
        match = self.best_match(grams, self.candidates(keys, article_id))
        story = self._story_of(match) if match is not None else self._new_story()
        self.conn.executemany(
            "INSERT OR IGNORE INTO story_bands (key, article_id) VALUES (?, ?)",
            [(key, article_id) for key in keys],
        )
        self.conn.execute(
            "INSERT INTO story_signatures (article_id, content_hash, bands, story_id)"
            " VALUES (?, ?, ?, ?)",
            (article_id, content_hash, struct.pack(f"<{len(keys)}q", *keys), story),
        )
        self._set_story(article_id, story)
        return before, story

    def _story_of(self, article_id: int) -> int:
        table, column = ("story_signatures", "article_id") if self.staged else ("articles", "id")
        return self.conn.execute(
            f"SELECT story_id FROM {table} WHERE {column} = ?", (article_id,)
        ).fetchone()[0]

    def _set_story(self, article_id: int, story: int) -> None:
        if self.staged:
            self.conn.execute(
                "UPDATE story_signatures SET story_id = ? WHERE article_id = ?",
                (story, article_id),
            )
            return
        self.conn.execute(
            "UPDATE articles SET story_id = ? WHERE id = ? AND story_id IS NOT ?",
            (story, article_id, story),
        )
        self.conn.execute(
            "UPDATE story_signatures SET story_id = ? WHERE article_id = ?", (story, article_id)
        )

    def regroup(self, story: int) -> None:
        """Regroup a story's copies among themselves, in id order, after one left it: the
        first keeps the story id, each next joins the story of its most similar earlier
        copy or starts a new one."""
        members = [
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM articles WHERE story_id = ? ORDER BY id LIMIT ?",
                (story, REGROUP_LIMIT + 1),
            )
        ]
        if len(members) > REGROUP_LIMIT:
            log.info("story %d has over %d copies: not regrouped", story, REGROUP_LIMIT)
            return
        placed: dict[int, int] = {}
        for member in members:
            if not placed:
                placed[member] = story
                continue
            match = self.best_match(self.grams(member), placed)
            placed[member] = placed[match] if match is not None else self._new_story()
            self._set_story(member, placed[member])

    def save(self, seq: int) -> None:
        self.conn.execute(
            "UPDATE story_state SET seq = ?, next_story = ?, format = ?",
            (seq, self.next_story, FORMAT),
        )


# The articles the change log names whose story may have changed: deleted ones that
# were grouped, and existing ones never grouped or whose text changed since.
_CHANGED = """
    SELECT c.article_id, a.id IS NULL, a.content_hash
    FROM (SELECT DISTINCT article_id FROM search_changes WHERE seq > ?) AS c
    LEFT JOIN articles AS a ON a.id = c.article_id
    LEFT JOIN story_signatures AS s ON s.article_id = c.article_id
    WHERE (a.id IS NULL AND s.article_id IS NOT NULL)
       OR (a.id IS NOT NULL AND (s.article_id IS NULL OR s.content_hash != a.content_hash
                                 OR a.story_id IS NULL))
    ORDER BY c.article_id
"""


_WARNED: list[bool] = []


def catch_up(conn: sqlite3.Connection) -> int:
    """Bring story ids in step with the articles changed since the last call; returns
    how many articles were (re)grouped. Runs inside the caller's write transaction (the
    archive calls it before each write commits). An archive never grouped is grouped
    whole if it is small (AUTO_GROUP), else left for ``newsarchive stories --rebuild``."""
    seq, _ = _state(conn)
    if seq is None:
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        if count > AUTO_GROUP:
            if not _WARNED:  # once a process, not at every batch of a long crawl
                _WARNED.append(True)
                log.warning(
                    "the archive's %d articles are not grouped into stories yet;"
                    " run `newsarchive stories --rebuild`",
                    count,
                )
            return 0
        return _group_all(conn)
    last = _last_change(conn)
    if last <= seq:
        return 0
    grouper = _Grouper(conn)
    left: set[int] = set()
    changed = conn.execute(_CHANGED, (seq,)).fetchall()
    for article_id, deleted, content_hash in changed:
        if deleted:
            before, now = grouper.forget(article_id), None
        else:
            before, now = grouper.assign(article_id, content_hash)
        if before is not None and before != now:
            left.add(before)
    for story in sorted(left):
        grouper.regroup(story)
    grouper.save(_last_change(conn))
    return len(changed)


def _group_all(conn: sqlite3.Connection, progress: Callable[[int], None] | None = None) -> int:
    """Group every article from scratch, in id order (the caller holds the transaction)."""
    conn.execute("DELETE FROM story_bands")
    conn.execute("DELETE FROM story_signatures")
    grouper = _Grouper(conn, staged=True)
    rows = conn.execute("SELECT id, content_hash, story_id FROM articles ORDER BY id").fetchall()
    for done, (article_id, content_hash, _) in enumerate(rows, start=1):
        grouper.assign(article_id, content_hash)
        if done % 1000 == 0:
            grouper.keys.clear()  # the shingles of candidates met lately, not of all
            if progress:
                progress(1000)
    if progress and len(rows) % 1000:
        progress(len(rows) % 1000)
    _keep_story_ids(grouper, {article_id: old for article_id, _, old in rows})
    grouper.save(_last_change(conn))
    return len(rows)


def _keep_story_ids(grouper: _Grouper, before: dict[int, int | None]) -> None:
    """Number the stories of a regrouping as before where they can be (each keeps the
    smallest earlier id among its copies that no other story kept), and write to
    ``articles`` only the ids that changed: every write there is logged for the search
    index (search_changes), so a rebuild that changes nothing costs it nothing."""
    conn = grouper.conn
    members: dict[int, list[int]] = {}
    for article_id, story in conn.execute("SELECT article_id, story_id FROM story_signatures"):
        members.setdefault(story, []).append(article_id)
    kept: set[int] = set()
    final: dict[int, int] = {}
    for story in sorted(members):
        earlier = sorted({before[a] for a in members[story] if before.get(a)} - kept)
        final[story] = earlier[0] if earlier else grouper._new_story()
        kept.add(final[story])
    moves = [
        (final[story], article_id)
        for story, ids in members.items()
        for article_id in ids
        if before.get(article_id) != final[story]
    ]
    conn.executemany("UPDATE story_signatures SET story_id = ? WHERE article_id = ?", moves)
    conn.executemany("UPDATE articles SET story_id = ? WHERE id = ?", moves)


def rebuild(conn: sqlite3.Connection, progress: Callable[[int], None] | None = None) -> int:
    """Group the whole archive anew (``newsarchive stories --rebuild``) in one
    transaction: readers see the old stories until it commits. Returns the articles
    grouped."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        return _group_all(conn, progress)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """One copy of a story, as the article page and search's "also in" list it."""

    id: int
    url: str
    source: str | None
    title: str
    published: str | None
    first_seen: str
    first: bool  # the story's first publication: earliest published, then first seen


# Earliest publication first; an undated copy after the dated ones, by when it was seen.
_COPIES = (
    "SELECT id, url, source, title, published, first_seen FROM articles"
    " WHERE story_id = ? ORDER BY published IS NULL, published, first_seen, id"
)


def story_copies(conn: sqlite3.Connection, article_id: int) -> list[Copy]:
    """Every copy of ``article_id``'s story (itself included), first publication first;
    just the article when it is in no story yet, empty when there is no such article."""
    row = conn.execute("SELECT story_id FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return []
    if row[0] is None:
        rows = conn.execute(
            "SELECT id, url, source, title, published, first_seen FROM articles WHERE id = ?",
            (article_id,),
        ).fetchall()
    else:
        rows = conn.execute(_COPIES, (row[0],)).fetchall()
    return [Copy(*values, first=number == 0) for number, values in enumerate(rows)]


@dataclass(frozen=True)
class Story:
    id: int
    copies: int
    sources: int
    first: Copy


def largest(conn: sqlite3.Connection, limit: int = 20) -> list[Story]:
    """The stories with the most copies (``newsarchive stories``)."""
    found = []
    for story, copies, sources in conn.execute(
        "SELECT story_id, count(*), count(DISTINCT source) FROM articles"
        " WHERE story_id IS NOT NULL GROUP BY story_id HAVING count(*) > 1"
        " ORDER BY 2 DESC, 1 LIMIT ?",
        (limit,),
    ).fetchall():
        first = conn.execute(_COPIES + " LIMIT 1", (story,)).fetchone()
        found.append(Story(story, copies, sources, Copy(*first, first=True)))
    return found


def grouped(conn: sqlite3.Connection) -> bool:
    """Whether the archive's stories are current with today's parameters."""
    return _state(conn)[0] is not None


# --- search: one hit per story ------------------------------------------------------------

# A search collapsing copies asks its engine for this many more ranked hits at a time,
# and stops past FETCH_LIMIT (a story printed this many times fills no page anyway).
FETCH_GROWTH = 4
FETCH_LIMIT = 50_000


def _stories_of(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    """Each article's story, or minus its id (its own story) when not grouped yet."""
    return dict(
        conn.execute(
            "SELECT id, coalesce(story_id, -id) FROM articles"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
    )


def one_per_story(
    conn: sqlite3.Connection,
    fetch: Callable[[int], list[tuple[int, float]]],
    offset: int,
    limit: int,
) -> list[tuple[int, float]]:
    """Hits ``offset``..``offset + limit`` of a ranking where each story appears once, at
    its best-ranked copy. ``fetch(n)`` gives the engine's first ``n`` (id, score); it is
    asked for more until the page is full or the ranking ends."""
    wanted = offset + limit
    fetching = max(2 * wanted, wanted + 10)
    while True:
        ranked = fetch(fetching)
        story_of = _stories_of(conn, [article_id for article_id, _ in ranked])
        seen: set[int] = set()
        firsts = []
        for article_id, score in ranked:
            story = story_of.get(article_id, -article_id)
            if story not in seen:
                seen.add(story)
                firsts.append((article_id, score))
        if len(firsts) >= wanted or len(ranked) < fetching or fetching >= FETCH_LIMIT:
            return firsts[offset:wanted]
        fetching = min(fetching * FETCH_GROWTH, FETCH_LIMIT)


def story_counts(
    conn: sqlite3.Connection, ids: list[int], facets: bool
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """How many stories the articles ``ids`` belong to, and (``facets``) how many per
    source and per month: a story counts once in each source and month it has a copy."""
    stories: set[int] = set()
    per: dict[str, dict[str, set[int]]] = {"source": defaultdict(set), "month": defaultdict(set)}
    for story, source, month in conn.execute(
        "SELECT coalesce(story_id, -id), coalesce(source, ''), coalesce(month, '')"
        " FROM articles WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ):
        stories.add(story)
        if facets:
            per["source"][source].add(story)
            per["month"][month].add(story)
    if not facets:
        return len(stories), {}
    counts = {
        name: [(key, len(found)) for key, found in values.items()] for name, values in per.items()
    }
    return len(stories), {
        "source": sorted(counts["source"], key=lambda kv: (-kv[1], kv[0])),
        "month": sorted(counts["month"], reverse=True),
    }


def also_in(conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[int | None, list[str]]]:
    """For each article: its story id and the sources of its story's other copies (each
    once, first publication first; its own source too when another copy is there, as
    an AMP or print twin is)."""
    found: dict[int, tuple[int | None, list[str]]] = {}
    for article_id, story in conn.execute(
        "SELECT id, story_id FROM articles WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ).fetchall():
        sources: list[str] = []
        if story is not None:
            for (source,) in conn.execute(
                "SELECT source FROM articles WHERE story_id = ? AND id != ?"
                " ORDER BY published IS NULL, published, first_seen, id",
                (story, article_id),
            ):
                label = source or "—"
                if label not in sources:
                    sources.append(label)
        found[article_id] = (story, sources)
    return found
