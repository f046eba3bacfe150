"""The story of an article on its Datasette page (issue 8, newsarchive.stories).

The article page lists every copy of its story (the same text in other sources, the
seed file and its crawled page, an AMP or print twin) with its source and date, marks
the first publication (the earliest copy), and links each to a word-level diff against
the article at ``/-/diff?a=<id>&b=<id>`` (newsarchive.web.diffs). The search page's "also
in" and its all-copies toggle come from newsarchive.search; this module only feeds the
article page's partial template ``newsarchive-story.html``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from datasette.utils import urlsafe_components

from newsarchive.stories import story_copies


async def article_story(datasette, database: str, request) -> dict[str, Any]:
    """``story_copies`` for the article page: its story's copies, first publication
    first (the article itself among them, marked ``this``), each with its diff link."""
    article_id = int(urlsafe_components(request.url_vars["pks"])[0])
    copies = await datasette.get_database(database).execute_fn(
        lambda conn: story_copies(conn, article_id)
    )
    if len(copies) < 2:
        return {"story_copies": []}
    return {
        "story_copies": [
            {
                "id": copy.id,
                "url": datasette.urls.row(database, "articles", copy.id),
                "source": copy.source,
                "title": copy.title,
                "published": copy.published,
                "first_seen": copy.first_seen,
                "first": copy.first,
                "this": copy.id == article_id,
                "diff": datasette.urls.path("/-/diff")
                + "?"
                + urlencode({"a": article_id, "b": copy.id}),
            }
            for copy in copies
        ]
    }
