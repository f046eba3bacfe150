"""Bad input stays small (issue 9), as ingest meets it: compression bombs, oversized files
and records, bad records, empty documents. What the archive refuses whatever the path
(URLs, sizes, invalid Unicode) is tested in test_archive.py, the crawl's side in
test_pages.py, bidi controls on display in test_arabic_bidi.py.

The bombs are generated here, streamed to disk a megabyte at a time. Memory is measured
by what the reader allocates (tracemalloc, in process) and by peak RSS of a fresh
subprocess running the default path (the reader process); both have wide tolerances,
the point being that a capped member is never read: reading one would cost its size.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsarchive import limits
from newsarchive.cli import cli
from newsarchive.ingest import ingest_paths

MB = 1_000_000


def ingest(archive, *paths, **options):
    options.setdefault("progress", False)
    return ingest_paths(archive, [Path(p) for p in paths], **options)


def seed(n: int) -> bytes:
    return f"عنوان الخبر {n}\n\nelmaouid\n\nنص الخبر رقم {n}.\n".encode()


class Zeros:
    """``size`` zero bytes, read like a file and never held whole."""

    def __init__(self, size: int):
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


def write_zip(path: Path, members: dict[str, bytes | int]) -> Path:
    """A zip whose int members are that many zero bytes (written a megabyte at a time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                source = Zeros(content)
                while chunk := source.read(MB):
                    member.write(chunk)
    return path


def write_tar(path: Path, members: dict[str, bytes | int], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content) if isinstance(content, bytes) else content
            archive.addfile(
                info, io.BytesIO(content) if isinstance(content, bytes) else Zeros(content)
            )
    return path


def peak_bytes(run) -> tuple[object, int]:
    """``run()``'s result and the most memory Python allocated while it ran."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """200 MB of zeros (about 200 kB deflated) between two seed files."""
    folder = tmp_path_factory.mktemp("zip_bomb")
    return write_zip(
        folder / "corpus.zip",
        {"c/a.txt": seed(1), "c/bomb.txt": 200 * MB, "c/z.txt": seed(2)},
    )


# --- archives ----------------------------------------------------------------------------


def test_a_zip_bomb_member_is_refused_unread_and_the_rest_lands(archive, zip_bomb):
    report, peak = peak_bytes(lambda: ingest(archive, zip_bomb, background=False))
    assert (report.new, report.failed) == (2, 1)
    (failure,) = report.failures
    assert failure.path == f"{zip_bomb}/c/bomb.txt"
    assert failure.reason.startswith("expands ")  # 200 MB of zeros: the ratio says it first
    assert "over the limit of 100 times: a compression bomb?" in failure.reason
    assert "NEWSARCHIVE_MAX_COMPRESSION_RATIO" in failure.reason
    assert "\n" not in failure.reason
    assert archive.get_article("seed:a") and archive.get_article("seed:z")
    # Reading the member whole would allocate 200 MB; refused from the zip's directory.
    assert peak < 20 * MB


def test_a_member_under_the_ratio_but_over_the_size_cap_is_named(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 1 * MB)
    text = "".join(f"سطر من نص لا يتكرر {n}\n" for n in range(60_000)).encode()
    assert 2 * MB < len(text) < 3 * MB
    path = write_zip(tmp_path / "c.zip", {"a.txt": seed(1), "big.txt": text, "z.txt": seed(2)})
    report = ingest(archive, path, background=False)
    assert (report.new, report.failed) == (2, 1)
    assert report.failures[0].path == f"{path}/big.txt"
    assert report.failures[0].reason.startswith(
        f"{limits.format_size(len(text))} when expanded, over the 1 MB limit for a file read"
        " whole; skipped."
    )
    assert "NEWSARCHIVE_MAX_FILE_SIZE=3MB" in report.failures[0].reason


def test_json_lines_members_stream_past_the_file_cap(archive, tmp_path, monkeypatch):
    """JSON Lines is read a line at a time: a member bigger than the cap for files read
    whole still lands, record by record."""
    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 100_000)
    lines = [
        json.dumps({"url": f"https://example.com/{n}", "title": f"خبر {n}", "text": "نص " * 200})
        for n in range(200)
    ]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 5 * limits.MAX_FILE_SIZE
    for path in (
        write_zip(tmp_path / "j.zip", {"all.jsonl": data}),
        write_tar(tmp_path / "j.tar.gz", {"all.jsonl": data}),
    ):
        report = ingest(archive, path, background=False)
        assert (report.new + report.unchanged, report.failed) == (200, 0)


def test_a_compressed_tar_stops_before_expanding_a_bomb(archive, tmp_path):
    """A tar.gz is read front to back: the members after a bomb can only be reached by
    expanding it, so reading stops at its header, with the error on the bomb."""
    path = write_tar(
        tmp_path / "corpus.tar.gz",
        {"c/a.txt": seed(1), "c/bomb.txt": 200 * MB, "c/z.txt": seed(2)},
    )
    assert path.stat().st_size < 400_000
    report, peak = peak_bytes(lambda: ingest(archive, path, background=False))
    assert (report.new, report.failed) == (1, 1)
    (failure,) = report.failures
    assert failure.path == f"{path}/c/bomb.txt"
    assert failure.reason.startswith("the archive expands to more than 100 times its")
    assert "Stopped reading the archive here" in failure.reason
    assert "NEWSARCHIVE_MAX_COMPRESSION_RATIO" in failure.reason
    assert archive.get_article("seed:a") is not None
    assert peak < 20 * MB


def test_a_tar_member_over_the_size_cap_is_skipped_and_the_rest_lands(
    archive, tmp_path, monkeypatch
):
    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 1 * MB)
    noise = random.Random(0).randbytes(3 * MB)  # incompressible: within the budget
    for mode, suffix in (("w:gz", "tar.gz"), ("w:xz", "tar.xz"), ("w", "tar")):
        path = write_tar(
            tmp_path / f"c.{suffix}",
            {"c/a.txt": seed(1), "c/big.txt": noise, "c/z.txt": seed(2)},
            mode,
        )
        report = ingest(archive, path, background=False)
        assert report.failed == 1 and report.new + report.unchanged == 2, mode
        assert report.failures[0].path == f"{path}/c/big.txt"
        assert report.failures[0].reason.startswith("3 MB when expanded, over the 1 MB limit")


def test_a_pax_header_bomb_is_stopped_by_the_budget(archive, tmp_path):
    """tarfile reads a pax header whole on its own: the stream it reads from stops it."""
    path = tmp_path / "pax.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive_file:
        info = tarfile.TarInfo("c/a.txt")
        info.pax_headers = {"comment": "x" * (30 * MB)}
        data = seed(1)
        info.size = len(data)
        archive_file.addfile(info, io.BytesIO(data))
    report, peak = peak_bytes(lambda: ingest(archive, path, background=False))
    assert report.failed == 1 and report.new == 0
    assert report.failures[0].path == str(path)
    assert "compression bomb?" in report.failures[0].reason
    assert peak < 20 * MB  # the budget (about 4 MB here), not the 30 MB header


def test_many_small_zip_members_that_add_up_to_a_bomb_stop_the_archive(
    archive, tmp_path, monkeypatch
):
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", 10)
    monkeypatch.setattr(limits, "RATIO_FLOOR", 100_000)
    members: dict[str, bytes | int] = {"a.txt": seed(1)}
    members.update({f"m{n:02d}.txt": 90_000 for n in range(40)})  # each under the floor
    path = write_zip(tmp_path / "many.zip", members)
    report = ingest(archive, path, background=False)
    assert report.new == 1
    assert "the archive expands to more than 10 times" in report.failures[-1].reason
    assert len(report.failures) < 40  # stopped, not every member tried


def test_peak_rss_of_the_default_path_stays_flat(zip_bomb, tmp_path):
    """The default path for archives reads in a second process: the peak RSS of both
    processes, in a fresh interpreter, grows by far less than the 200 MB member."""
    script = """
import json, resource, sys
from pathlib import Path
from newsarchive.archive import open_archive
from newsarchive.ingest import ingest_paths
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open_archive(Path(sys.argv[2])) as archive:
    report = ingest_paths(archive, [Path(sys.argv[1])], progress=False)
print(json.dumps({
    "before": before,
    "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "reader": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "new": report.new, "failed": report.failed,
}))
"""
    run = subprocess.run(
        [sys.executable, "-c", script, str(zip_bomb), str(tmp_path / "a.db")],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert (figures["new"], figures["failed"]) == (2, 1)
    kib = 1024
    assert figures["self"] - figures["before"] < 80 * MB / kib
    # The reader is forked from the writer, so it starts from the writer's size.
    assert figures["reader"] - figures["before"] < 80 * MB / kib


# --- one file, one article ---------------------------------------------------------------


def test_a_50_mb_text_file_is_refused_before_it_is_read(archive, tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.write(seed(1))
        line = "سطر طويل من نص لا ينتهي. ".encode() * 1000
        while handle.tell() < 50 * MB:
            handle.write(line)
    size = path.stat().st_size
    report, peak = peak_bytes(lambda: ingest(archive, path))
    assert (report.new, report.failed) == (0, 1)
    reason = report.failures[0].reason
    assert reason.startswith(
        f"{limits.format_size(size)} for one article (a seed file: title, source, body), over"
    )
    assert "over the 2 MB limit per article" in reason
    assert "raise NEWSARCHIVE_MAX_ARTICLE_SIZE (e.g. NEWSARCHIVE_MAX_ARTICLE_SIZE=51MB)" in reason
    assert peak < 5 * MB
    assert archive.article_count() == 0


def test_an_undecodable_file_fails_in_bounded_memory(archive, tmp_path):
    """Arabic UTF-8 riddled with stray bytes is neither UTF-8 nor cp1256: charset
    detection tries both, and its mojibake checks once held an object per Arabic letter
    (44 times the file); now a few times it. The file fails alone."""
    chunk = ("الحكومة".encode() + b"\xff ") * 10 + b"\n"
    data = b"<DOC>\n" + chunk * (1_500_000 // len(chunk))
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    report, peak = peak_bytes(lambda: ingest(archive, path))
    assert report.failed == 1 and report.failures[0].reason.startswith("undecodable text")
    assert peak < 8 * len(data)  # was 44 times


def test_an_oversized_record_is_refused_and_the_archived_copy_kept(archive, tmp_path):
    """Under the file cap but over the article limit: refused by the archive's check,
    with the line number; an update that big leaves the stored article as it was."""
    kept = {"url": "https://example.com/a", "title": "عنوان", "text": "نص قصير."}
    ingest(archive, _jsonl(tmp_path / "first.jsonl", [kept]))
    before = archive.get_article(kept["url"])
    huge = {**kept, "text": "كلمة " * 300_000}  # 2.7 MB of UTF-8
    other = {"url": "https://example.com/b", "title": "آخر", "text": "نص."}
    path = _jsonl(tmp_path / "second.jsonl", [huge, other])
    report = ingest(archive, path)
    assert (report.new, report.updated, report.failed) == (1, 0, 1)
    assert report.failures[0].path == f"{path}:1"
    assert report.failures[0].reason == (
        "article of 2.7 MB, over the limit of 2 MB per article; if it really is one"
        " article, raise NEWSARCHIVE_MAX_ARTICLE_SIZE (e.g. NEWSARCHIVE_MAX_ARTICLE_SIZE=3MB)"
    )
    assert archive.get_article(kept["url"]) == before
    assert archive.revisions(kept["url"]) == []


# --- records -----------------------------------------------------------------------------


def _jsonl(path: Path, records: list, raw_lines: list[bytes] | None = None) -> Path:
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    path.write_bytes(b"\n".join(lines + (raw_lines or [])) + b"\n")
    return path


def test_json_lines_bad_records_lose_only_themselves(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ARTICLE_SIZE", 50_000)  # lines of at most 200 kB
    good = {"url": "https://example.com/1", "title": "عنوان", "text": "نص المقال."}
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(good),  # 1
        '{"url": "https://example.com/2", "title": "\\ud800", "text": "نص"}',  # 2
        b'{"url": "https://example.com/3", "title": "\xff", "text": "x"}',  # 3
        '{"url": "https://example.com/4", "title": "t", "text": "x", "n": 1' + "1" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,  # 5
        "x" * 1_000_000,  # 6: one line of a megabyte
        json.dumps({"title": "بلا رابط", "text": "نص"}),  # 7
        json.dumps({**good, "url": "https://example.com/8", "text": "  "}),  # 8
        json.dumps({**good, "url": "https://example.com/9"}),  # 9
    ]
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines))

    bad_byte = lines[2].index(0xFF) + 1
    report = ingest(archive, path)
    assert (report.new, report.skipped, report.failed) == (2, 1, 6)
    where = {f.path.rsplit(":", 1)[1]: f.reason for f in report.failures}
    assert where == {
        "2": "invalid Unicode in the title: a lone surrogate U+D800 at character 1",
        "3": f"not UTF-8 (byte 0xff at byte {bad_byte})",
        "4": where["4"],
        "5": "invalid JSON: nested too deeply",
        "6": "a line of 1 MB, over the 200 kB limit for one record"
        " (4 times NEWSARCHIVE_MAX_ARTICLE_SIZE); skipped",
        "7": "no 'url' (the record has: title, text)",
    }
    assert where["4"].startswith("invalid JSON: Exceeds the limit (4300 digits)")
    assert report.stats.examples == {"empty document": [f"{path}:8"]}
    assert [r["url"] for r in archive.db["articles"].rows] == [
        "https://example.com/1",
        "https://example.com/9",
    ]


def test_a_lone_surrogate_in_a_json_array_or_an_ant_entity_loses_that_record(archive, tmp_path):
    array = tmp_path / "a.json"
    array.write_text(
        '[{"url": "https://example.com/1", "title": "t", "text": "a\\udfffb"},'
        ' {"url": "https://example.com/2", "title": "t", "text": "ok"}]'
    )
    ant = tmp_path / "doc.txt"
    ant.write_text(
        "<DOC>\n<URL>https://www.skynewsarabia.com/1</URL>\n<TITLE>خبر &#xD800;</TITLE>"
        "\n<TEXT>\nنص\n</TEXT>\n</DOC>\n"
    )
    report = ingest(archive, array, ant)
    assert (report.new, report.failed) == (1, 2)
    assert {f.path for f in report.failures} == {f"{array}[1]", str(ant)}
    assert all("lone surrogate" in f.reason for f in report.failures)


def test_ingest_names_the_record_with_a_bad_url(archive, tmp_path):
    path = _jsonl(
        tmp_path / "u.jsonl",
        [
            {"url": "javascript:alert(document.cookie)", "title": "t", "text": "x"},
            {"url": "https://example.com/ok", "title": "t", "text": "x"},
        ],
    )
    report = ingest(archive, path)
    assert (report.new, report.failed) == (1, 1)
    assert report.failures[0].path == f"{path}:1"
    assert report.failures[0].reason == (
        "URL 'javascript:alert(document.cookie)' is a javascript: URL; an article's URL"
        " must be an absolute http(s) URL (or a seed: key)"
    )


# --- empty documents ---------------------------------------------------------------------


def test_empty_documents_in_a_corpus_are_skipped_and_the_run_is_ok(archive, tmp_path):
    def doc(n: int, title: str = "خبر", text: str = "نص الخبر.") -> bytes:
        return (
            f"<DOC>\n<URL>https://www.jawharafm.net/ar/article/{n}</URL>\n"
            f"<TITLE>{title} {n if title.strip() else ''}</TITLE>\n"
            f"<TEXT>\n{text}\n</TEXT>\n</DOC>\n"
        ).encode()

    members: dict[str, bytes | int] = {f"c/JA-{n}.txt": doc(n) for n in range(100)}
    members.update({f"c/JA-{n}.txt": doc(n, text=" ") for n in range(100, 123)})
    members.update({f"c/JA-{n}.txt": doc(n, title=" ") for n in range(123, 127)})
    path = write_tar(tmp_path / "corpus.tar.xz", members, "w:xz")
    db = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["ingest", "-q", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "ingested 127 files: 100 new, 0 updated, 0 unchanged, 27 skipped (empty document), 0 failed"
    )
    assert result.stderr == ""
    report = ingest(archive, path)
    assert (report.new, report.skipped, report.failed) == (100, 27, 0)
    run = list(archive.db["crawl_runs"].rows)[-1]
    assert (run["status"], run["pages"], run["dropped"], run["failed"]) == ("ok", 127, 27, 0)
    assert json.loads(run["dropped_reasons"]) == {"empty document": 27}


def test_only_empty_documents_is_an_empty_run(archive, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b" \n")
    report = ingest(archive, tmp_path)
    assert (report.skipped, report.failed) == (2, 0)
    assert list(archive.db["crawl_runs"].rows)[-1]["status"] == "empty"


def test_a_bomb_through_the_cli_is_one_line_and_exit_1(zip_bomb, tmp_path):
    result = CliRunner().invoke(
        cli, ["ingest", "-q", str(zip_bomb), "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {zip_bomb}/c/bomb.txt: expands ")
    assert result.stdout.strip() == "ingested 3 files: 2 new, 0 updated, 0 unchanged, 1 failed"


def test_a_bad_size_in_a_crawl_setting_is_one_line_before_the_crawl(tmp_path):
    db = tmp_path / "a.db"
    result = CliRunner().invoke(
        cli,
        ["crawl", "http://127.0.0.1:9/", "--db", str(db)]
        + ["--set", "NEWSARCHIVE_MAX_ARTICLE_SIZE=huge"],
    )
    assert result.exit_code == 2
    assert "NEWSARCHIVE_MAX_ARTICLE_SIZE='huge' is not a positive size" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()  # refused before anything was opened
