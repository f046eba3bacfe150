"""Stops that always work (issue 9): Ctrl-C or SIGTERM, to a crawl, an ingest or the
scheduler, or to its whole process group as a terminal sends it, ends the command within
10 s with its run "interrupted" and counts that match the archive, and the next crawl
resumes. After a kill -9 the next command marks the run "killed" with the counts it had
committed, which match the archive too.

The end-to-end tests run `newsarchive` as a user does, in a session of its own, against
the local sample site slowed down (``latency``) so the signal comes mid-crawl, with two
extraction worker processes (the hang of issue 9 came from them).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsarchive import stopping
from newsarchive.cli import cli
from newsarchive.samplesite import DEFAULT_SEEDS_DIR, build_site, serve
from tests.crawling import REPO, check_captures, run_crawl, write_sites

# What a stop must take at most, signal to exit; nothing tighter is measured.
STOP_WITHIN = 10
ARTICLES = 24
# Seconds the sample site takes per page, so that a crawl lasts a few seconds.
LATENCY = 0.1
# Two extraction workers (the hang of issue 9 came from them); every article committed at
# once, so the tests see at once how far the crawl got.
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "NEWSARCHIVE_EXTRACT_WORKERS": "2",
    "NEWSARCHIVE_BATCH_SIZE": "1",
}


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample site with ARTICLES articles (the bundled seeds, renamed and numbered)."""
    folder = tmp_path_factory.mktemp("seeds")
    seeds = sorted(DEFAULT_SEEDS_DIR.glob("*.txt"))
    for number in range(ARTICLES):
        lines = seeds[number % len(seeds)].read_text(encoding="utf-8").split("\n")
        lines[0] = f"{lines[0]} {number}"
        lines[4] = f"{lines[4]} (العدد {number})"
        (folder / f"{number:03d}_khabar-{number}.txt").write_text("\n".join(lines), "utf-8")
    return build_site(folder)


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_left():
    """Whatever a test ends like, the process groups it started end with it."""
    yield
    while STARTED:
        process = STARTED.pop()
        if group_alive(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    """`newsarchive ARGS` in a session (and process group) of its own, output to files."""
    command = [sys.executable, "-m", "newsarchive", *args]
    with (cwd / "stdout.txt").open("w") as out, (cwd / "stderr.txt").open("w") as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
    STARTED.append(process)
    return process


def crawl_args(db: Path, sites: Path) -> list[str]:
    args = ["crawl", "sample", "--db", str(db), "--sites", str(sites)]
    for name, value in SETTINGS.items():
        args += ["-s", f"{name}={value}"]
    return args


def wait_until(condition, timeout: float = 60.0, what: str = "the moment to stop") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never came")
        time.sleep(0.02)


def group_alive(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that still run (zombies do not)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                alive.append(int(stat.parent.name))
    return alive


def stopped(process: subprocess.Popen, send) -> float:
    """Send the signal(s) with ``send()``; the seconds until the process exited (it must
    within STOP_WITHIN; its whole group is killed otherwise, and the test fails)."""
    sent = time.monotonic()
    send()
    try:
        process.wait(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"not stopped within {STOP_WITHIN} s")
    return time.monotonic() - sent


def assert_clean_exit(process: subprocess.Popen, cwd: Path, status: int) -> str:
    stderr = (cwd / "stderr.txt").read_text()
    assert process.returncode == status, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Aborted!" not in stderr
    # The helper processes (forkserver, extraction workers, ingest's reader) go too.
    wait_until(lambda: not group_alive(process.pid), 5, "the end of the helper processes")
    return stderr


def read(db: Path) -> sqlite3.Connection:
    """A read-only look at the archive (never creating it before the command does)."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def runs(db: Path) -> list[dict]:
    conn = read(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
    finally:
        conn.close()


def archived(db: Path) -> int:
    with contextlib.closing(read(db)) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def article_requests(server) -> int:
    return sum(1 for r in list(server.requests) if r[2].startswith("/2024/"))


# --- crawls ------------------------------------------------------------------------------


def archived_at_least(db: Path, count: int) -> bool:
    with contextlib.suppress(sqlite3.Error):
        return archived(db) >= count
    return False


# When Ctrl-C comes: as the first request goes out (robots.txt; the extraction pool not
# started), once the first articles are archived (the workers are up), and in the middle
# of the crawl.
MOMENTS = {
    "first request": lambda server, db: len(server.requests) >= 1,
    "first articles": lambda server, db: archived_at_least(db, 1),
    "mid-crawl": lambda server, db: archived_at_least(db, ARTICLES // 3),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c_to_the_process_group_stops_a_crawl_that_resumes(tmp_path, site, moment):
    db = tmp_path / "archive.db"
    with serve(site, latency=LATENCY) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        crawl = start(crawl_args(db, sites), tmp_path)
        wait_until(lambda: MOMENTS[moment](server, db) or crawl.poll() is not None)
        stopped(crawl, lambda: os.killpg(crawl.pid, signal.SIGINT))
        stderr = assert_clean_exit(crawl, tmp_path, 130)
        # Gracefully, not by the deadline's hard stop: the job state is there to resume.
        assert "stopping at once" not in stderr
        assert (tmp_path / "jobs" / "sample").is_dir()
        [run] = runs(db)
        assert run["status"] == "interrupted"
        assert run["new"] == archived(db) and run["updated"] == 0
        assert run["finished"] is not None
        # The WARC files were closed on a record boundary, every page row's record in.
        assert check_captures(tmp_path) >= (run["new"] or 0)
        if moment != "mid-crawl":
            return  # resuming is the same whenever it stopped, and costs a crawl
        resumed = run_crawl(db, sites, "sample", settings=SETTINGS)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert [r["status"] for r in runs(db)] == ["interrupted", "ok"]
    assert archived(db) == ARTICLES
    assert run["new"] + runs(db)[1]["new"] == ARTICLES


def test_sigterm_to_the_process_stops_a_crawl_that_resumes_from_its_job_state(tmp_path, site):
    db = tmp_path / "archive.db"
    with serve(site, latency=LATENCY) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        crawl = start(crawl_args(db, sites), tmp_path)
        wait_until(lambda: article_requests(server) >= ARTICLES // 3)
        stopped(crawl, lambda: os.kill(crawl.pid, signal.SIGTERM))
        stderr = assert_clean_exit(crawl, tmp_path, 143)
        assert "stopped by SIGTERM" in stderr
        [run] = runs(db)
        assert (run["status"], run["new"]) == ("interrupted", archived(db))
        assert (tmp_path / "jobs" / "sample").is_dir(), "the job state was not kept"
        before = len(server.requests)

        resumed = run_crawl(db, sites, "sample", settings=SETTINGS)
        again = [r[2] for r in server.requests[before:]]
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming the interrupted crawl of sample" in resumed.stderr
    assert "/feed/" not in again, "discovery was repeated instead of resumed"
    assert archived(db) == ARTICLES
    assert [r["status"] for r in runs(db)] == ["interrupted", "ok"]


def test_a_second_ctrl_c_stops_at_once_and_the_next_crawl_starts_afresh(tmp_path, site):
    db = tmp_path / "archive.db"
    with serve(site, latency=LATENCY) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        crawl = start(crawl_args(db, sites), tmp_path)
        wait_until(lambda: article_requests(server) >= 3)
        # Pages now take long to come: a graceful stop would wait for them.
        server.latency = 10.0
        time.sleep(0.5)

        def twice():
            os.killpg(crawl.pid, signal.SIGINT)
            time.sleep(0.5)
            os.killpg(crawl.pid, signal.SIGINT)

        took = stopped(crawl, twice)
        stderr = assert_clean_exit(crawl, tmp_path, 130)
        assert took < 5, "the second signal did not stop at once"
        assert "again: stopping at once" in stderr
        [run] = runs(db)
        assert (run["status"], run["new"]) == ("interrupted", archived(db))
        # Scrapy had no time to write its queues: the next crawl starts afresh.
        assert not (tmp_path / "jobs" / "sample").exists()
        # Even so, the WARC files end on a record boundary (newsarchive.capture.freeze_all).
        assert check_captures(tmp_path) >= run["new"]
        server.latency = 0.0
        again = run_crawl(db, sites, "sample", settings=SETTINGS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert archived(db) == ARTICLES
    assert [r["status"] for r in runs(db)] == ["interrupted", "ok"]


def test_after_kill_9_the_next_command_marks_the_run_killed_with_its_counts(tmp_path, site):
    db = tmp_path / "archive.db"
    with serve(site, latency=LATENCY) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        crawl = start(crawl_args(db, sites), tmp_path)
        wait_until(lambda: archived_at_least(db, 2))
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        # The extraction workers notice and leave; so does the forkserver behind them.
        wait_until(lambda: not group_alive(crawl.pid), 10, "the end of the helper processes")
        [run] = runs(db)
        assert run["status"] == "running"
        assert run["new"] == archived(db), "the counts were not committed with the articles"

        result = CliRunner().invoke(cli, ["stats", "--json", "--db", str(db)])
        assert result.exit_code == 0, result.output
        [shown] = json.loads(result.stdout)["runs"]
        assert shown["status"] == "killed"
        [run] = runs(db)
    # What the next crawl does then: test_crawl.py, test_a_killed_crawl_starts_afresh...
    assert (run["status"], run["new"], run["finished"]) == ("killed", archived(db), None)


def test_schedule_passes_ctrl_c_on_to_its_crawls(tmp_path, site):
    db = tmp_path / "archive.db"
    with serve(site, latency=LATENCY) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        scheduler = start(["schedule", "--once", "--db", str(db), "--sites", str(sites)], tmp_path)
        wait_until(lambda: article_requests(server) >= 3)
        stopped(scheduler, lambda: os.killpg(scheduler.pid, signal.SIGINT))
        assert_clean_exit(scheduler, tmp_path, 130)
    assert "sample: interrupted" in (tmp_path / "stdout.txt").read_text()
    [run] = runs(db)
    assert (run["status"], run["new"]) == ("interrupted", archived(db))


# --- ingest ------------------------------------------------------------------------------

RECORDS = 6_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """RECORDS JSON Lines articles in a .tar.gz (read by ingest's reader process)."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.tar.gz"
    body = "تراجعت أسعار الخضر في أسواق العاصمة بعد وفرة الإنتاج. " * 15
    with tarfile.open(path, "w:gz") as tar:
        for part in range(12):
            lines = [
                json.dumps(
                    {
                        "url": f"https://example.dz/{part}/{n}",
                        "title": f"خبر {part}-{n}",
                        "text": f"{body} {part}-{n}",
                    },
                    ensure_ascii=False,
                )
                for n in range(RECORDS // 12)
            ]
            data = ("\n".join(lines) + "\n").encode()
            member = tarfile.TarInfo(f"part-{part:02d}.jsonl")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("signum", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["int", "term"]
)
def test_a_stopped_ingest_is_interrupted_with_its_counts(tmp_path, corpus, signum, to_group):
    db = tmp_path / "archive.db"
    ingest = start(["ingest", str(corpus), "--db", str(db), "--quiet"], tmp_path)

    def some_archived() -> bool:
        with contextlib.suppress(sqlite3.Error):
            return bool(db.exists() and runs(db) and runs(db)[0]["new"] > 0)
        return False

    wait_until(some_archived)
    kill = os.killpg if to_group else os.kill
    stopped(ingest, lambda: kill(ingest.pid, signum))
    assert_clean_exit(ingest, tmp_path, stopping.exit_status(signum))
    [run] = runs(db)
    assert run["status"] == "interrupted"
    assert run["new"] == run["pages"] == archived(db) < RECORDS
    if signum == signal.SIGINT:  # the rest comes with the next ingest
        result = CliRunner().invoke(cli, ["ingest", str(corpus), "--db", str(db), "--quiet"])
        assert result.exit_code == 0, result.output
        assert archived(db) == RECORDS


# --- the parts ---------------------------------------------------------------------------


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newsarchive.stopping import StopSignals

    out = Path(sys.argv[1])
    stop = StopSignals(grace=float(sys.argv[2])).install()
    stop.on_stop(lambda: out.with_suffix(".first").touch())
    stop.on_hard_stop(lambda: out.with_suffix(".hard").touch())
    print("ready", flush=True)
    while sys.argv[3] == "hang" or not stop.requested:
        time.sleep(0.05)
    sys.exit(stop.exit_status)
    """
)


def signal_script(tmp_path, grace: float, behaviour: str) -> subprocess.Popen:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "mark"), str(grace), behaviour],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.parametrize(
    ("signals", "behaviour", "status", "hard"),
    [
        ([signal.SIGTERM], "finish", 143, False),  # graceful: the work ends itself
        ([signal.SIGINT, signal.SIGINT], "hang", 130, True),  # a second signal
        ([signal.SIGINT], "hang", 130, True),  # the deadline
    ],
    ids=["graceful", "second signal", "deadline"],
)
def test_stop_signals(tmp_path, signals, behaviour, status, hard):
    process = signal_script(tmp_path, 1.0, behaviour)
    try:
        for signum in signals:
            process.send_signal(signum)
            time.sleep(0.1)
        assert process.wait(timeout=STOP_WITHIN) == status
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
    assert (tmp_path / "mark.first").exists()
    assert (tmp_path / "mark.hard").exists() == hard
