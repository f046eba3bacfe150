"""Handing due crawls to scrapyd: a real scrapyd on 127.0.0.1, the project deployed to it
with scrapyd-deploy, and a job that archives the local sample site."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest
import sqlite_utils
from click.testing import CliRunner

from newsarchive.cli import cli
from newsarchive.samplesite import build_site, serve
from tests.crawling import REPO, write_sites


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _decoy_registry(path: Path) -> Path:
    """A registry whose `sample` leads nowhere (nothing listens on port 9): what a
    scrapyd node knows by its own environment, unlike the registry each job is given."""
    return write_sites(path, "http://127.0.0.1:9")


def test_a_job_is_given_its_registry_as_a_setting(tmp_path):
    """`scrapy list` with NEWSARCHIVE_SITES in the environment and another registry as
    the setting lists the setting's sources, as a scrapyd job does."""
    env_registry = tmp_path / "env.toml"
    env_registry.write_text('[sites.from_env]\nbase_url = "http://127.0.0.1:9/"\n')
    given = tmp_path / "given.toml"
    given.write_text('[sites.given]\nbase_url = "http://127.0.0.1:9/"\n')
    env = {**os.environ, "NEWSARCHIVE_SITES": str(env_registry)}
    env["SCRAPY_SETTINGS_MODULE"] = "newsarchive.settings"
    command = [sys.executable, "-m", "scrapy", "list", "-s", f"NEWSARCHIVE_SITES={given}"]
    listed = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["given", "news"]


def test_scrapy_list_with_a_bad_registry_is_one_line(tmp_path):
    bad = tmp_path / "sites.toml"
    bad.write_text("[sites.x]\nbase_url = 5\n")
    env = {**os.environ, "NEWSARCHIVE_SITES": str(bad)}
    env["SCRAPY_SETTINGS_MODULE"] = "newsarchive.settings"
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 1
    assert listed.stderr.strip().splitlines() == [
        f"Error: {bad} has invalid entries: [sites.x]: base_url must be an http(s) URL"
    ]


def test_an_unreachable_scrapyd_is_one_line(tmp_path):
    sites = _decoy_registry(tmp_path / "sites.toml")
    url = f"http://127.0.0.1:{_free_port()}/"
    for once in (["--once"], []):
        args = ["schedule", *once, "--scrapyd", url, "--sites", str(sites)]
        result = CliRunner().invoke(cli, [*args, "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 1
        assert result.output == f"Error: cannot reach scrapyd at {url}: connection refused\n"
    refused = CliRunner().invoke(cli, ["schedule", "--scrapyd", "ftp://x", "--once"])
    assert refused.exit_code == 2 and "is not a scrapyd URL" in refused.output


def _api(url: str, endpoint: str) -> dict:
    with urlopen(url + endpoint, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def _scrapyd_node(node: Path) -> Iterator[str]:
    """A scrapyd on a free port of 127.0.0.1, in ``node`` (made here); its URL."""
    pytest.importorskip("scrapyd", reason="scrapyd is not installed (pip install -e .[test])")
    node.mkdir()
    port = _free_port()
    (node / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {node / 'eggs'}\n"
        f"logs_dir = {node / 'logs'}\n"
        f"dbs_dir = {node / 'dbs'}\n"
        "jobs_to_keep = 5\n"
        "max_proc = 2\n"
        # Start a job a fifth of a second after it is scheduled, not five seconds.
        "poll_interval = 0.2\n"
    )
    env = {**os.environ, "NEWSARCHIVE_SITES": str(_decoy_registry(node / "sites.toml"))}
    env.pop("NEWSARCHIVE_DB", None)
    env.pop("NEWSARCHIVE_REDIS", None)
    output = open(node / "scrapyd.out", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=node, env=env, stdout=output, stderr=output
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                _api(url, "daemonstatus.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (node / "scrapyd.out").read_text(errors="replace")[-500:]
                    pytest.skip(f"scrapyd could not start on 127.0.0.1:{port}: {log}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


@pytest.fixture
def scrapyd(tmp_path):
    with _scrapyd_node(tmp_path / "node") as url:
        yield url


def _deploy(url: str, into: Path) -> subprocess.CompletedProcess:
    """scrapyd-deploy from a copy of the checkout (it builds the egg in place), with the
    [deploy] target pointing at ``url``."""
    pytest.importorskip("scrapyd_client", reason="scrapyd-client is not installed")
    project = into / "project"
    project.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("newsarchive", "spiders"):
        shutil.copytree(REPO / name, project / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, project / name)
    config = (REPO / "scrapy.cfg").read_text()
    assert "[deploy]" in config  # the checkout's own target, pointed at this server
    (project / "scrapy.cfg").write_text(
        "\n".join(
            f"url = {url}" if line.startswith("url =") else line for line in config.splitlines()
        )
    )
    return subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _job_logs(node: Path) -> str:
    """The end of the jobs' logs, to show what a failed job did."""
    return "\n".join(log.read_text()[-3000:] for log in sorted(node.rglob("*.log")))


def test_schedule_hands_due_crawls_to_scrapyd(tmp_path, scrapyd):
    db = tmp_path / "archive.db"
    with serve(build_site()) as site:
        sites = write_sites(tmp_path / "sites.toml", site.base_url.rstrip("/"))
        args = ["schedule", "--once", "--scrapyd", scrapyd, "--db", str(db), "--sites", str(sites)]

        undeployed = CliRunner().invoke(cli, args)
        assert undeployed.exit_code == 1
        assert undeployed.output.startswith(f"Error: scrapyd at {scrapyd} has no project")

        deployed = _deploy(scrapyd, tmp_path)
        assert deployed.returncode == 0, deployed.stderr + deployed.stdout
        assert json.loads(deployed.stdout)["status"] == "ok"

        handed = CliRunner().invoke(cli, args)
        assert handed.exit_code == 0, handed.output
        assert handed.output.startswith(f"sample: handed to {scrapyd} (job ")
        job = handed.output.split("(job ")[1].rstrip(")\n")

        deadline = time.monotonic() + 120
        while True:
            jobs = _api(scrapyd, "listjobs.json?project=newsarchive")
            if any(finished["id"] == job for finished in jobs["finished"]):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.3)
        again = CliRunner().invoke(cli, args)

    articles = sqlite_utils.Database(db)["articles"]
    assert articles.count == 12, _job_logs(tmp_path / "node")
    assert {row["source"] for row in articles.rows} == {"sample"}
    runs = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert [(r["kind"], r["source"], r["status"]) for r in runs] == [
        ("scrapyd", "sample", "ok"),
        ("crawl", "sample", "ok"),
    ]
    assert job in runs[0]["command"]
    assert again.exit_code == 0 and again.output == "nothing is due\n"


def _wait_finished(url: str, jobs: list[str]) -> None:
    deadline = time.monotonic() + 180
    while True:
        listed = _api(url, "listjobs.json?project=newsarchive")
        if set(jobs) <= {finished["id"] for finished in listed["finished"]}:
            return
        assert time.monotonic() < deadline, listed
        time.sleep(0.3)


def test_schedule_spreads_a_distributed_crawl_over_scrapyd_servers(tmp_path, redis_url):
    """Two scrapyd servers, two workers of `sample` (one on each) sharing its crawl
    through Redis, and the writer: one archive, every article once, one crawl run."""
    db = tmp_path / "archive.db"
    # A slow site (0.2 s an answer), so the second job joins the first one's crawl.
    with contextlib.ExitStack() as stack, serve(build_site(), latency=0.2) as site:
        servers = [stack.enter_context(_scrapyd_node(tmp_path / f"node{n}")) for n in (1, 2)]
        for n, server in enumerate(servers):
            deployed = _deploy(server, tmp_path / f"deploy{n}")
            assert deployed.returncode == 0, deployed.stderr + deployed.stdout
        sites = write_sites(tmp_path / "sites.toml", site.base_url.rstrip("/"))
        drain = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "drain", "--until-done", "--redis", redis_url]
            + ["--db", str(db)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        args = ["schedule", "--once", "--scrapyd", ",".join(servers), "--redis", redis_url]
        args += ["--workers", "2", "--db", str(db), "--sites", str(sites)]
        handed = CliRunner().invoke(cli, args)
        assert handed.exit_code == 0, handed.output
        lines = handed.output.splitlines()
        assert [line.split(" (job")[0] for line in lines] == [
            f"sample: handed to {server}" for server in servers
        ]
        jobs = [line.split("(job ")[1].rstrip(")") for line in lines]
        for server, job in zip(servers, jobs, strict=True):
            _wait_finished(server, [job])
        output = drain.communicate(timeout=120)[0]
        assert drain.returncode == 0, output
    articles = sqlite_utils.Database(db)["articles"]
    assert articles.count == 12, _job_logs(tmp_path)
    runs = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert [(r["kind"], r["status"]) for r in runs[:2]] == [("scrapyd", "ok")] * 2
    # The jobs were workers that wrote nothing themselves: the writer recorded the
    # crawl (two runs if the second job started after the first had crawled it all).
    crawls = runs[2:]
    assert {(r["kind"], r["status"]) for r in crawls} == {("crawl", "ok")}
    assert sum(r["new"] for r in crawls) == 12
    logs = _job_logs(tmp_path)
    assert logs.count("this worker pushes the seeds") + logs.count("joining run") == 2
