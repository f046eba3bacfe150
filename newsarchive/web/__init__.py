"""Serving the archive with Datasette: ``build_datasette`` for tests and embedding,
``serve`` for ``newsarchive serve``.

The hooks (right-to-left pages, article page, read-only connections) live in
:mod:`newsarchive.web.plugin`, which Datasette loads through the ``datasette`` entry point;
the per-table settings (full-text index, facets, sort order, descriptions) live in
``metadata.json`` beside this file, as Datasette 0.65 expects.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import socket
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from newsarchive.archive import ArchiveError
from newsarchive.web import plugin
from newsarchive.web.plugin import DATABASE_NAME

__all__ = ["DATABASE_NAME", "build_datasette", "load_metadata", "serve"]

log = logging.getLogger(__name__)

METADATA_FILE = Path(__file__).resolve().parent / "metadata.json"

# Datasette's facet suggestions run several queries over every row on each table page:
# on 30,000 synthetic articles they took ~1.1 s of a 1.4 s page. The facets worth having
# are configured in metadata.json; ``?_facet=`` still adds any other.
DEFAULT_SETTINGS: dict[str, Any] = {"suggest_facets": False}


def load_metadata() -> dict[str, Any]:
    """The project's Datasette metadata (a fresh copy each call)."""
    return json.loads(METADATA_FILE.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` laid over ``base``, nested dicts merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def build_datasette(
    db_path: str | Path,
    *,
    extra_metadata: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> Datasette:
    """A Datasette serving the archive at ``db_path`` as the database ``archive``
    (whatever the file is called), with the project's plugin and metadata.

    ``extra_metadata`` is merged over metadata.json; ``settings`` are Datasette settings
    (``--setting``) laid over ``DEFAULT_SETTINGS``. The file is opened read-only and never
    migrated here: open it with ``newsarchive.archive.open_archive`` first. Raises
    ``ArchiveError`` if it is missing.
    """
    path = Path(db_path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}; run `newsarchive ingest` or `crawl` first")
    # The entry point registers the plugin when newsarchive is installed; registering it
    # here too keeps a source checkout (or a test run without the entry point) working.
    if not pm.is_registered(plugin):
        pm.register(plugin, name="newsarchive")
    metadata = load_metadata()
    if extra_metadata:
        metadata = _merge(metadata, extra_metadata)
    ds = Datasette(
        [str(path)], metadata=metadata, settings={**DEFAULT_SETTINGS, **(settings or {})}
    )
    # Datasette names a database after its file's stem; metadata.json and every URL say
    # /archive, so rename it when the file is called something else (tests, --db).
    if path.stem != DATABASE_NAME:
        db = ds.databases[path.stem]
        ds.remove_database(path.stem)
        ds.add_database(db, name=DATABASE_NAME)
    return ds


class ServeError(OSError):
    """The address to serve on cannot be used (a port in use, a host not of this machine)."""


def bind(host: str = "127.0.0.1", port: int = 8001) -> socket.socket:
    """A listening socket on ``host:port``, taken before anything says it is serving, so
    a busy port is one clear error instead of a server that announces itself and dies."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServeError(f"cannot serve on {host}: {exc.strerror}; pass --host") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is in use (another newsarchive serve?);"
                " pass --port N for another one"
            ) from exc
        raise ServeError(f"cannot serve on {host}:{port}: {exc.strerror}") from exc
    return sock


def serve(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    sock: socket.socket | None = None,
) -> None:
    """Run the archive's Datasette with uvicorn until interrupted, as ``datasette serve``
    does (datasette/cli.py): startup hooks, a connection check, then one worker, on
    ``sock`` (from :func:`bind`) or a socket bound here. Raises ServeError."""
    import uvicorn
    from datasette.cli import check_databases, run_sync

    sock = sock or bind(host, port)
    ds = build_datasette(db_path)
    run_sync(ds.invoke_startup)
    run_sync(lambda: check_databases(ds))
    log.info("serving %s at http://%s:%d/", db_path, host, port)
    config = uvicorn.Config(ds.app(), log_level="info", lifespan="on", workers=1)
    uvicorn.Server(config).run(sockets=[sock])
