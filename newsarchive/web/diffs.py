"""Word-level diffs on the web (issue 8): an article's revisions on its page, and
``/-/diff``, two texts side by side with what changed between them.

The article page (row-archive-articles.html includes newsarchive-revision-diffs.html)
shows each change in the article's history oldest first: every revision against the
version that replaced it, the last one against the current text, with its dates and its
title change. ``/-/diff?a=ID&b=ID`` compares two articles (the copies of one story);
``/-/diff?rev=ID`` shows the change that replaced one revision, a link of its own for
each change on the article page. The diffs are ``newsarchive.worddiff``'s; the texts are
read and compared in one ``execute_fn`` call, on Datasette's database thread, so a long
diff never holds up the event loop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from datasette.utils import urlsafe_components
from datasette.utils.asgi import Response
from markupsafe import Markup

from newsarchive.web.errors import error_page
from newsarchive.worddiff import TextDiff, count_ar, diff_texts, render_html, render_inline

__all__ = ["DiffRequestError", "Version", "article_changes", "diff_page"]

# Changes shown unfolded on an article page (the latest ones); older ones are folded in
# <details>. At most MAX_CHANGES are compared per page view (each costs a diff of the
# whole text); older ones are listed with a link to their own diff page.
OPEN_CHANGES = 3
MAX_CHANGES = 10
CONTEXT = 12  # words of unchanged text kept around each change
_TIMES = ("مرة واحدة", "مرتين", "مرات", "مرة")


@dataclass
class Version:
    """One version of a text: an article as it stands or one of its revisions."""

    article_id: int
    title: str
    text: str
    url: str
    source: str | None = None
    published: str | None = None
    fetched: str | None = None  # when this version was fetched
    replaced: str | None = None  # when a newer version replaced it (revisions only)
    revision_id: int | None = None
    reason: str | None = None  # why it was replaced, where the archive records it


@dataclass
class Change:
    """``old`` as replaced by ``new``, compared word by word (``diff`` is None for an
    older change listed but not compared on this page)."""

    old: Version
    new: Version
    diff: TextDiff | None = None

    @property
    def title_html(self) -> Markup | None:
        """The title's change marked inline, or None if the title stayed the same."""
        if self.old.title == self.new.title:
            return None
        return render_inline(self.old.title, self.new.title)

    def html(self, full: bool = False) -> Markup:
        """The text's diff (compared now if it was not), collapsed unless ``full``."""
        if self.diff is None:
            self.diff = diff_texts(self.old.text, self.new.text)
        return render_html(self.diff, context=None if full else CONTEXT)


class DiffRequestError(ValueError):
    """A /-/diff request that names nothing to compare, or something not in the archive."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


_ARTICLE_SQL = (
    "SELECT id AS article_id, title, text, url, source, published, last_fetched AS fetched"
    " FROM articles WHERE id = ?"
)


def _version(row: sqlite3.Row | None) -> Version | None:
    if row is None:
        return None
    fields = dict(zip(row.keys(), row, strict=True))
    known = Version.__dataclass_fields__
    return Version(**{name: value for name, value in fields.items() if name in known})


def _revisions(conn: sqlite3.Connection, article_id: int) -> list[Version]:
    # SELECT *: a ``reason`` column, where the archive has one, comes along.
    cursor = conn.execute(
        "SELECT r.*, r.id AS revision_id, a.source AS source FROM revisions r"
        " LEFT JOIN articles a ON a.id = r.article_id WHERE r.article_id = ? ORDER BY r.id",
        [article_id],
    )
    cursor.row_factory = sqlite3.Row
    return [version for row in cursor if (version := _version(row)) is not None]


def _article(conn: sqlite3.Connection, article_id: int) -> Version | None:
    cursor = conn.execute(_ARTICLE_SQL, [article_id])
    cursor.row_factory = sqlite3.Row
    return _version(cursor.fetchone())


def article_changes(conn: sqlite3.Connection, article_id: int) -> list[Change]:
    """The article's history as changes, oldest first: each revision against the next,
    the last against the current text. Only the latest ``MAX_CHANGES`` are compared."""
    current = _article(conn, article_id)
    if current is None:
        return []
    versions = [*_revisions(conn, article_id), current]
    changes = [Change(old, new) for old, new in zip(versions, versions[1:], strict=False)]
    for change in changes[-MAX_CHANGES:]:
        change.diff = diff_texts(change.old.text, change.new.text)
    return changes


async def revision_context(datasette, database: str, request) -> dict[str, Any]:
    """Template variables of the article page: ``article_changes`` (oldest first),
    ``open_changes`` (how many of the latest are unfolded) and ``changes_count`` (their
    number in words)."""
    article_id = urlsafe_components(request.url_vars["pks"])[0]
    changes = await datasette.get_database(database).execute_fn(
        lambda conn: article_changes(conn, article_id)
    )
    return {
        "article_changes": changes,
        "open_changes": OPEN_CHANGES,
        "changes_count": count_ar(len(changes), _TIMES),
    }


# --- /-/diff ------------------------------------------------------------------------------

_USAGE = "compare two articles with /-/diff?a=ID&b=ID, or a revision with /-/diff?rev=ID"


def _id(request, name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise DiffRequestError(400, f"{name}={raw!r} is not an id (a whole number): {_USAGE}")
    return int(raw)


def _pair(conn: sqlite3.Connection, a: int | None, b: int | None, rev: int | None) -> Change:
    """The two versions a /-/diff request names, compared."""
    if rev is not None:
        cursor = conn.execute("SELECT article_id FROM revisions WHERE id = ?", [rev])
        found = cursor.fetchone()
        if found is None:
            raise DiffRequestError(404, f"no revision {rev} in the archive")
        versions = [*_revisions(conn, found[0]), _article(conn, found[0])]
        index = next(i for i, v in enumerate(versions) if v and v.revision_id == rev)
        old, new = versions[index], versions[index + 1]
        if new is None:  # the article itself was deleted; its revisions stay
            raise DiffRequestError(404, f"revision {rev}'s article is no longer in the archive")
    elif a is not None and b is not None:
        old, new = _article(conn, a), _article(conn, b)
        missing = [str(n) for n, v in ((a, old), (b, new)) if v is None]
        if old is None or new is None:
            raise DiffRequestError(404, f"no article {' or '.join(missing)} in the archive")
    else:
        raise DiffRequestError(400, _USAGE)
    return Change(old, new, diff_texts(old.text, new.text))


async def diff_page(datasette, request) -> Response:
    """``/-/diff?a=ID&b=ID`` (two articles) or ``/-/diff?rev=ID`` (a revision and the
    version that replaced it): both versions' sources, dates and titles, and the word
    diff of their texts; ``&full=1`` shows the unchanged text too."""
    from newsarchive.web.plugin import DATABASE_NAME  # the plugin imports this module

    if DATABASE_NAME not in datasette.databases:
        return Response.text("no archive here", status=404)
    try:
        a, b, rev = _id(request, "a"), _id(request, "b"), _id(request, "rev")
        change = await datasette.get_database(DATABASE_NAME).execute_fn(
            lambda conn: _pair(conn, a, b, rev)
        )
    except DiffRequestError as exc:
        return await error_page(datasette, request, exc.status, str(exc))
    full = request.args.get("full") == "1"
    context = {
        "change": change,
        "diff_html": change.html(full),
        "full": full,
        "full_url": _with(request, full="1"),
        "short_url": _with(request, full=None),
    }
    html = await datasette.render_template(
        "newsarchive-diff.html", context, request=request, view_name="diff"
    )
    return Response.html(html)


def _with(request, **changes: str | None) -> str:
    """This page's URL with some arguments changed (None removes one)."""
    args = {key: request.args.get(key) for key in ("a", "b", "rev", "full")}
    args.update(changes)
    query = urlencode({key: value for key, value in args.items() if value})
    return request.path + ("?" + query if query else "")
