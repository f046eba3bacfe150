"""Arabic text rules: search keys, dates, bylines and encodings.

Each concern lives in its own submodule (``normalize``, ``dates``, ``bylines``,
``encoding``); import from them. Stored text is never altered by these rules: they
shape the search index, the queries and the metadata (see DESIGN.md).
"""
