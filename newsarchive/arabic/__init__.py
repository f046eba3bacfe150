"""Arabic text rules: search keys, dates, bylines and encodings.

Each concern lives in its own submodule: ``normalize`` (the search key run on documents
and queries), ``dates``, ``bylines``, ``encoding`` and ``bidi`` (bidi controls balanced
where text is shown). Stored text is never altered by these rules: they shape the search
index, the queries, the metadata and the display (DESIGN.md).
The search key is re-exported here, as the one function both sides share.
"""

from newsarchive.arabic.normalize import normalize, search_key, term_key, tokenize

__all__ = ["normalize", "search_key", "term_key", "tokenize"]
