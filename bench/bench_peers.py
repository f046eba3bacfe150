"""Our extraction against the bare libraries, on the evaluation sets those libraries publish.

    .venv/bin/python bench/bench_peers.py [--peers DIR] [--sets trafilatura,scrapinghub,htmldate]
        [--limit N] [--out bench/results/peers.md] [--failures] [--no-speed]

The peers' archives (../shared/data/peers/*.tar.xz, see the README there) are read in place
and unpacked into a temporary folder that is deleted at the end; nothing is copied into the
repository. On the same pages in the same run it measures "the project"
(``project_extract``: ``newsarchive.extract.extract_file(path, url=url)``) against the bare
library called the way the set's own evaluation calls it:

1. trafilatura's set (``evaldata.json`` + ``eval/``): per-snippet precision/recall/F1 as in
   trafilatura's ``tests/evaluate.py`` (``eval_common.count_item``): every "with" snippet
   found in the whitespace-normalised output is a true positive, else a false negative;
   every "without" snippet found is a false positive, else a true negative; the scores are
   over the totals. Baseline: ``extract(html_bytes, fast=False, include_comments=False,
   include_tables=True, include_formatting=False)``, its "trafilatura" runner. Entries whose
   page is not in the archive (held back, or in trafilatura's tests/cache) are skipped, as
   its ``eval_gate.py`` does. The snippets are the page's main content, headline included,
   so the project's output there is its text with the headline line it moved into the
   title field put back; a second F1 leaves out the pages the project refuses as not
   articles (static pages, listings), on both sides.
2. scrapinghub's set (``ground-truth.json`` + ``html/*.html.gz``): 4-gram shingle
   precision/recall/F1 as in article-extraction-benchmark's ``evaluate.py``: ``\\w+`` tokens,
   per-page TP/FP/FN normalised to sum 1, precision averaged over pages with any predicted
   shingle (an empty output is left out of precision and scores 0 recall), recall over pages
   with any true shingle, F1 of the two means, standard deviations from 1,000 bootstrap
   resamples (seeded here, so reruns agree). Baseline: its ``run_trafilatura.py``,
   ``extract(html_text, include_comments=False)`` on the gunzipped UTF-8 text.
3. htmldate's set (``eval_mediacloud_2020.json`` + ``test_set/``): exact-day accuracy of
   the publication date. Baseline: ``find_date(decode_file(html_bytes), url=url)``, default
   settings, the page loaded as htmldate's ``tests/evaluation.py`` loads it. The project's
   day is ``Article.published[:10]`` (no article: no date). The few pages the set marks
   undatable (NaN) count right when no date is returned.

Then CPU time per page (``time.process_time``, not moved by other load) on the pages of
sets 1 and 2: the project's ``extract_file``, ``bare_extraction(html, url=url,
with_metadata=True)`` and ``bare_extraction(html, url=url, with_metadata=False)``, each in
its own pass over the same bytes.

A page where the project returns nothing while bare trafilatura finds the article (at least
one "with" snippet; shingle F1 > 0.5) is listed as a regression: it is one unless the page
really is a listing. Writes Markdown tables to stdout and ``--out``; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import random
import re
import statistics
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import htmldate  # noqa: E402
import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402
from htmldate.utils import decode_file  # noqa: E402

from newsarchive.extract import extract_file  # noqa: E402
from newsarchive.items import Article  # noqa: E402

DEFAULT_PEERS = REPO.parent / "shared" / "data" / "peers"
RESULTS = REPO / "bench" / "results" / "peers.md"
SETS = ("trafilatura", "scrapinghub", "htmldate")
# The scores each library publishes for itself on its set (../shared/data/peers/README.md).
PUBLISHED = {
    "trafilatura": "trafilatura 2.3.1: F1 0.926",
    "scrapinghub": "trafilatura 2.0.0: F1 0.958",
    "htmldate": "htmldate 1.11.0: 0.875",
}
BOOTSTRAP = 1000
SHINGLE = 4
T = TypeVar("T")


def project_extract(path: Path, url: str) -> Article | None:
    """The project under test: change this one call to measure another entry point."""
    return extract_file(path, url=url)


# -- pages --------------------------------------------------------------------------------


@dataclass
class Page:
    name: str  # the file name the set uses, for the failure lists
    path: Path  # an uncompressed copy in the temporary folder, for extract_file
    url: str
    truth: dict[str, Any]

    def html(self) -> bytes:
        return self.path.read_bytes()


def unpack(peers: Path, name: str, into: Path) -> Path | None:
    archive = peers / f"{name}.tar.xz"
    if not archive.is_file():
        return None
    with tarfile.open(archive) as tar:
        # The "data" filter refuses absolute paths, links out of the folder and devices.
        tar.extractall(into, filter="data")
    return into / name


def _indexed_pages(root: Path, index: str, folder: str, limit: int | None) -> list[Page]:
    """Pages listed in a JSON index of url → {"file": …}, those present in ``folder``."""
    entries = json.loads((root / index).read_text(encoding="utf-8"))
    pages = [
        Page(item["file"], root / folder / item["file"], url, item)
        for url, item in entries.items()
        if (root / folder / item["file"]).is_file()
    ]
    return pages[:limit]


def load_trafilatura(root: Path, limit: int | None) -> list[Page]:
    return _indexed_pages(root, "evaldata.json", "eval", limit)


def load_scrapinghub(root: Path, limit: int | None) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in list(truth.items())[:limit]:
        packed = root / "html" / f"{key}.html.gz"
        # extract_file reads a page from disk, so it gets the gunzipped bytes as a file.
        plain = root / "html" / f"{key}.html"
        plain.write_bytes(gzip.decompress(packed.read_bytes()))
        pages.append(Page(packed.name, plain, item.get("url") or "", item))
    return pages


def load_htmldate(root: Path, limit: int | None) -> list[Page]:
    return _indexed_pages(root, "eval_mediacloud_2020.json", "test_set", limit)


LOADERS: dict[str, Callable[[Path, int | None], list[Page]]] = {
    "trafilatura": load_trafilatura,
    "scrapinghub": load_scrapinghub,
    "htmldate": load_htmldate,
}


def run_all(
    label: str, pages: list[Page], fn: Callable[[Page], T]
) -> tuple[list[T | None], list[str]]:
    """fn over every page: results in page order, and one line per page where it raised. A
    crash counts as an empty output, as trafilatura's run_and_count scores it."""
    results: list[T | None] = []
    errors: list[str] = []
    for page in tqdm(pages, desc=label, unit="page", leave=False, mininterval=2, file=sys.stderr):
        try:
            results.append(fn(page))
        except Exception as err:
            errors.append(f"{page.name}: {type(err).__name__}: {str(err)[:160]}")
            results.append(None)
    return results, errors


def short(url: str, width: int = 90) -> str:
    return url if len(url) <= width else url[: width - 1] + "…"


def project_text(page: Page) -> str:
    """The article's body as archived (``Article.text``); the headline is its own field."""
    article = project_extract(page.path, page.url)
    return article.text if article is not None else ""


def project_text_with_headline(page: Page) -> str:
    """For trafilatura's set, whose snippets are the page's main content headline
    included: where the extractor moved a first line equal to the headline into the title
    field, the line is put back, so the output holds what bare trafilatura's does (its
    text keeps that line). scrapinghub's ground truth is the body alone: not there."""
    article = project_extract(page.path, page.url)
    if article is None:
        return ""
    fields = article.page.signals.get("fields", {}) if article.page else {}
    if "text_first_line" in fields:
        return f"{article.title}\n{article.text}"
    return article.text


# -- 1. trafilatura's set ---------------------------------------------------------------


def norm(text: str) -> str:
    # evaluate.py compares whitespace-normalised strings, so line breaks cost nothing.
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, item: dict[str, Any], result: str | None) -> tuple[int, int, int, int]:
        resn = norm(result) if result else ""
        tp = sum(1 for w in item["with"] if resn and norm(w) in resn)
        fp = sum(1 for w in item["without"] if resn and norm(w) in resn)
        counts = (tp, fp, len(item["with"]) - tp, len(item["without"]) - fp)
        self.tp, self.fp, self.fn, self.tn = (
            a + b for a, b in zip((self.tp, self.fp, self.fn, self.tn), counts, strict=True)
        )
        return counts

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0


def trafilatura_baseline(page: Page) -> str | None:
    # evaluate.py's "trafilatura" runner (eval_common.make_runners "fallback"), on bytes.
    return trafilatura.extract(
        page.html(),
        fast=False,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
    )


@dataclass
class SetResult:
    name: str
    pages: int
    metric: str
    baseline: float
    project: float
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (measure, bare, ours)
    notes: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)


def evaluate_trafilatura(pages: list[Page]) -> SetResult:
    ours, our_errors = run_all("trafilatura set: project", pages, project_text_with_headline)
    bare, bare_errors = run_all("trafilatura set: bare", pages, trafilatura_baseline)
    cm_ours, cm_bare = Confusion(), Confusion()
    # The same, without the pages the project refuses as not articles (static pages,
    # product listings, a front page): the product's definition, not the set's.
    kept_ours, kept_bare = Confusion(), Confusion()
    regressions, worse = [], []
    for page, mine, theirs in zip(pages, ours, bare, strict=True):
        tp, fp, _, _ = cm_ours.add(page.truth, mine)
        btp, bfp, _, _ = cm_bare.add(page.truth, theirs)
        if not mine and btp > 0:
            regressions.append(f"{page.name} (bare finds {btp}/{len(page.truth['with'])})")
            continue
        kept_ours.add(page.truth, mine)
        kept_bare.add(page.truth, theirs)
        if tp - fp < btp - bfp:
            worse.append(f"{page.name}: with {tp} vs {btp}, without {fp} vs {bfp}")
    empty = (sum(1 for r in ours if not r), sum(1 for r in bare if not r))
    return SetResult(
        "trafilatura",
        len(pages),
        "F1",
        cm_bare.f1,
        cm_ours.f1,
        rows=[
            ("precision", f"{cm_bare.precision:.3f}", f"{cm_ours.precision:.3f}"),
            ("recall", f"{cm_bare.recall:.3f}", f"{cm_ours.recall:.3f}"),
            ("accuracy", f"{cm_bare.accuracy:.3f}", f"{cm_ours.accuracy:.3f}"),
            ("F1", f"{cm_bare.f1:.3f}", f"{cm_ours.f1:.3f}"),
            ("TP / FP / FN / TN", _counts(cm_bare), _counts(cm_ours)),
            (
                f"F1 without the {len(regressions)} page(s) the project refuses (below)",
                f"{kept_bare.f1:.3f}",
                f"{kept_ours.f1:.3f}",
            ),
            ("empty outputs", str(empty[1]), str(empty[0])),
            ("errors", str(len(bare_errors)), str(len(our_errors))),
        ],
        regressions=regressions,
        failures={
            "pages where the project scores lower (TP - FP) than bare": worse,
            "pages where the project raised": our_errors,
            "pages where bare trafilatura raised": bare_errors,
        },
    )


def _counts(cm: Confusion) -> str:
    return f"{cm.tp} / {cm.fp} / {cm.fn} / {cm.tn}"


# -- 2. scrapinghub's set ---------------------------------------------------------------

# article-extraction-benchmark's tokeniser: runs of word characters, any language.
TOKEN_RE = re.compile(r"\w+", re.UNICODE)
Triple = tuple[float, float, float]


def shingles(text: str | None) -> Counter[tuple[str, ...]]:
    tokens = TOKEN_RE.findall(text or "")
    # A text shorter than n tokens is one short shingle; an empty one has none.
    grams = (tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))
    return Counter(g for g in grams if g)


def shingle_match(true: str, pred: str | None) -> Triple:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    # Normalised per page so a long article weighs no more than a short one.
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _score(tp: float, fp: float, fn: float, other: float) -> float:
    # evaluate.py's precision_score / recall_score with `other` = fn or fp respectively.
    if fp == fn == 0:
        return 1.0
    if tp == other == 0:
        return 0.0
    return tp / (tp + other)


def shingle_metrics(triples: list[Triple]) -> dict[str, float]:
    precisions = [_score(tp, fp, fn, fp) for tp, fp, fn in triples if tp + fp > 0]
    recalls = [_score(tp, fp, fn, fn) for tp, fp, fn in triples if tp + fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def bootstrap_std(triples: list[Triple], exact: list[float], rounds: int) -> dict[str, float]:
    # Seeded: the published figures come from an unseeded run; a fixed seed keeps two of
    # our runs comparable, and the same resamples are used for the project and the baseline.
    rng = random.Random(2019)
    values: dict[str, list[float]] = {}
    n = len(triples)
    for _ in range(rounds):
        picks = [rng.randrange(n) for _ in range(n)]
        for key, value in shingle_metrics([triples[i] for i in picks]).items():
            values.setdefault(key, []).append(value)
        values.setdefault("accuracy", []).append(statistics.mean(exact[i] for i in picks))
    return {key: statistics.stdev(v) if len(v) > 1 else 0.0 for key, v in values.items()}


def scrapinghub_baseline(page: Page) -> str | None:
    # run_trafilatura.py: the page gunzipped as UTF-8 text, no URL.
    return trafilatura.extract(page.html().decode("utf-8"), include_comments=False)


def page_f1(triple: Triple) -> float:
    tp, fp, fn = triple
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate_scrapinghub(pages: list[Page]) -> SetResult:
    ours, our_errors = run_all("scrapinghub set: project", pages, project_text)
    bare, bare_errors = run_all("scrapinghub set: bare", pages, scrapinghub_baseline)
    truth = [page.truth.get("articleBody") or "" for page in pages]
    results: dict[str, dict[str, float]] = {}
    triples: dict[str, list[Triple]] = {}
    for who, outputs in (("bare", bare), ("project", ours)):
        triples[who] = [shingle_match(t, o) for t, o in zip(truth, outputs, strict=True)]
        # evaluate.py's accuracy: the same token sequence as the ground truth.
        exact = [
            float(TOKEN_RE.findall(t) == TOKEN_RE.findall(o or ""))
            for t, o in zip(truth, outputs, strict=True)
        ]
        results[who] = shingle_metrics(triples[who]) | {"accuracy": statistics.mean(exact)}
        results[who] |= {
            f"{k}_std": v for k, v in bootstrap_std(triples[who], exact, BOOTSTRAP).items()
        }
    regressions, worse = [], []
    for page, mine, t_ours, t_bare in zip(
        pages, ours, triples["project"], triples["bare"], strict=True
    ):
        f_ours, f_bare = page_f1(t_ours), page_f1(t_bare)
        if not mine and f_bare > 0.5:
            regressions.append(f"{page.name} {short(page.url)} (bare shingle F1 {f_bare:.2f})")
        elif f_ours < f_bare - 0.05:
            worse.append(f"{page.name} {short(page.url)}: shingle F1 {f_ours:.2f} vs {f_bare:.2f}")
    rows = [
        (
            measure,
            f"{results['bare'][key]:.3f} ± {results['bare'][key + '_std']:.3f}",
            f"{results['project'][key]:.3f} ± {results['project'][key + '_std']:.3f}",
        )
        for measure, key in (
            ("precision", "precision"),
            ("recall", "recall"),
            ("F1", "f1"),
            ("accuracy (exact tokens)", "accuracy"),
        )
    ]
    rows.append(
        ("empty outputs", str(sum(1 for r in bare if not r)), str(sum(1 for r in ours if not r)))
    )
    rows.append(("errors", str(len(bare_errors)), str(len(our_errors))))
    return SetResult(
        "scrapinghub",
        len(pages),
        "F1",
        results["bare"]["f1"],
        results["project"]["f1"],
        rows=rows,
        notes=[f"± is the standard deviation over {BOOTSTRAP} bootstrap resamples."],
        regressions=regressions,
        failures={
            "pages where the project's shingle F1 is 0.05+ lower than bare": worse,
            "pages where the project raised": our_errors,
            "pages where bare trafilatura raised": bare_errors,
        },
    )


# -- 3. htmldate's set ------------------------------------------------------------------


def htmldate_baseline(page: Page) -> str | None:
    # tests/evaluation.py's load_document (decode_file), then find_date with the URL and
    # default settings (extensive search on), the call the peers' README scores.
    return find_date(decode_file(page.html()), url=page.url)


def project_day(page: Page) -> str | None:
    article = project_extract(page.path, page.url)
    return article.published[:10] if article is not None and article.published else None


def evaluate_htmldate(pages: list[Page]) -> SetResult:
    ours, our_errors = run_all("htmldate set: project", pages, project_day)
    bare, bare_errors = run_all("htmldate set: bare", pages, htmldate_baseline)
    right_ours = right_bare = 0
    only_bare, only_ours, both_wrong = [], [], []
    undated = 0
    for page, mine, theirs in zip(pages, ours, bare, strict=True):
        # The set marks undatable pages with NaN. htmldate's scoring can never count them
        # right (NaN equals nothing); here "no date" is the right answer for them.
        expected = page.truth["date"] if isinstance(page.truth["date"], str) else None
        undated += expected is None
        ok_ours, ok_bare = mine == expected, theirs == expected
        right_ours += ok_ours
        right_bare += ok_bare
        line = (
            f"{page.name} {short(page.url)}: expected {expected}, project {mine}, htmldate {theirs}"
        )
        if ok_bare and not ok_ours:
            only_bare.append(line)
        elif ok_ours and not ok_bare:
            only_ours.append(line)
        elif not ok_ours:
            both_wrong.append(line)
    n = len(pages) or 1
    return SetResult(
        "htmldate",
        len(pages),
        "exact-day accuracy",
        right_bare / n,
        right_ours / n,
        rows=[
            ("exact-day accuracy", f"{right_bare / n:.3f}", f"{right_ours / n:.3f}"),
            ("right days", str(right_bare), str(right_ours)),
            ("no date", str(sum(1 for r in bare if not r)), str(sum(1 for r in ours if not r))),
            ("right only here", str(len(only_bare)), str(len(only_ours))),
            ("errors", str(len(bare_errors)), str(len(our_errors))),
        ],
        notes=[
            "The project's date is Article.published[:10]; a page it does not keep as an"
            " article has no date.",
            f"{undated} page(s) have no publication date in the set (NaN): returning no date"
            " is right there.",
        ],
        regressions=only_bare,
        failures={
            "pages only the project dates right": only_ours,
            "pages both date wrong": both_wrong,
            "pages where the project raised": our_errors,
            "pages where htmldate raised": bare_errors,
        },
    )


EVALUATORS: dict[str, Callable[[list[Page]], SetResult]] = {
    "trafilatura": evaluate_trafilatura,
    "scrapinghub": evaluate_scrapinghub,
    "htmldate": evaluate_htmldate,
}


# -- speed -------------------------------------------------------------------------------


def cpu_ms_per_page(label: str, pages: list[Page], call: Callable[[Page], Any]) -> float:
    """Mean CPU milliseconds per call. Only the call is timed; a crash still counts."""
    spent = 0.0
    for page in tqdm(pages, desc=f"speed: {label}", unit="page", leave=False, file=sys.stderr):
        start = time.process_time()
        with contextlib.suppress(Exception):
            call(page)
        spent += time.process_time() - start
    return 1000 * spent / len(pages)


def measure_speed(pages: list[Page]) -> list[tuple[str, float]]:
    html = {page.path: page.html() for page in pages}
    calls: list[tuple[str, Callable[[Page], Any]]] = [
        ("project `extract_file(path, url=url)`", lambda p: project_extract(p.path, p.url)),
        (
            "`bare_extraction(html, url=url, with_metadata=True)`",
            lambda p: trafilatura.bare_extraction(html[p.path], url=p.url, with_metadata=True),
        ),
        (
            "`bare_extraction(html, url=url, with_metadata=False)`",
            lambda p: trafilatura.bare_extraction(html[p.path], url=p.url, with_metadata=False),
        ),
    ]
    # The scoring passes already ran both libraries over every page, so each pass below
    # starts from the same warm imports and caches; each is a full pass of its own so that
    # one call's per-page caches do not serve the next call on the same page.
    return [(label, cpu_ms_per_page(label, pages, call)) for label, call in calls]


# -- report ------------------------------------------------------------------------------


def report(
    results: list[SetResult],
    speed: list[tuple[str, float]] | None,
    speed_pages: int,
    failures: bool,
    argv: list[str],
) -> str:
    out = [
        "# Peers' evaluation sets: newsarchive against the bare libraries",
        "",
        f"`{' '.join(['bench/bench_peers.py', *argv])}`"
        f" on {date.today().isoformat()}: trafilatura {trafilatura.__version__},"
        f" htmldate {htmldate.__version__}, Python {sys.version.split()[0]}.",
        "",
        "| set | pages | metric | bare library | project | difference | published (full set) |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        out.append(
            f"| {r.name} | {r.pages} | {r.metric} | {r.baseline:.3f} | {r.project:.3f}"
            f" | {r.project - r.baseline:+.3f} | {PUBLISHED[r.name]} |"
        )
    for r in results:
        out += [
            "",
            f"## {r.name}",
            "",
            "| measure | bare library | project |",
            "| --- | ---: | ---: |",
        ]
        out += [f"| {measure} | {bare} | {ours} |" for measure, bare, ours in r.rows]
        out += ["", *r.notes] if r.notes else []
        what = (
            "dated right by htmldate, wrong by the project"
            if r.name == "htmldate"
            else "the project returns nothing, bare trafilatura finds the article"
        )
        out += ["", f"Regressions ({what}): {len(r.regressions)}"]
        if failures:
            out += [""] + [f"- {line}" for line in r.regressions]
            for title, lines in r.failures.items():
                out += ["", f"{title[0].upper()}{title[1:]}: {len(lines)}"]
                out += ["", *(f"- {line}" for line in lines)] if lines else []
        else:
            counts = "; ".join(f"{t}: {len(v)}" for t, v in r.failures.items())
            out += ["", f"Also ({'`--failures`'} lists them): {counts}."]
    if speed:
        project_ms, with_meta_ms, text_ms = (ms for _, ms in speed)
        out += [
            "",
            "## Speed",
            "",
            f"CPU time (`time.process_time`) per page, one process, each call in its own pass"
            f" over the same {speed_pages} pages (trafilatura and scrapinghub sets; the bare"
            f" calls get the page's bytes, extract_file reads the same file).",
            "",
            "| call | CPU ms/page |",
            "| --- | ---: |",
        ]
        out += [f"| {label} | {ms:.1f} |" for label, ms in speed]
        out += [
            "",
            f"Ratio project / with_metadata=True: {project_ms / with_meta_ms:.2f};"
            f" project / with_metadata=False: {project_ms / text_ms:.2f}.",
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="folder of *.tar.xz")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, of: %(default)s")
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown written here too")
    parser.add_argument("--failures", action="store_true", help="list the failing pages")
    parser.add_argument("--no-speed", action="store_true", help="skip the CPU-time passes")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    if unknown := set(wanted) - set(SETS):
        parser.error(f"unknown set(s) {', '.join(sorted(unknown))}; choose from {SETS}")
    # The libraries log every odd page; the scores and error counts say what matters.
    logging.basicConfig(level=logging.CRITICAL)

    results: list[SetResult] = []
    speed_pages: list[Page] = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        for name in wanted:
            root = unpack(args.peers, name, Path(tmp))
            if root is None:
                print(f"skipping {name}: {args.peers / name}.tar.xz not found", file=sys.stderr)
                continue
            pages = LOADERS[name](root, args.limit)
            print(f"{name}: {len(pages)} pages", file=sys.stderr)
            results.append(EVALUATORS[name](pages))
            if name in ("trafilatura", "scrapinghub"):
                speed_pages += pages
        if not results:
            sys.exit(f"no peers' archives under {args.peers} (pass --peers DIR)")
        speed = None if args.no_speed or not speed_pages else measure_speed(speed_pages)
    shown = sys.argv[1:] if argv is None else argv
    text = report(results, speed, len(speed_pages), args.failures, shown)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
