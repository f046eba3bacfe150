"""Arabic words for the archive's Datasette pages.

Column labels live in metadata.json (each table's ``plugins.newsarchive.labels``, beside
its column descriptions), so a deployment can change them without code. This module
holds the words for what the code writes in English: run statuses and kinds, page
decisions and outcomes, how a page was found, the reasons pages were not archived, and
Datasette's filter operators. A value without an entry is shown as stored: the archive's
own value is never hidden behind a missing translation.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "LOOKUPS",
    "column_label",
    "lookup_label",
    "plugin_settings",
    "reason_label",
    "table_label",
    "value_label",
]

# crawl_runs.status: written by newsarchive.pipelines (crawls), newsarchive.ingest and
# newsarchive.crawl (a run found dead); "finished" is in archives written before "ok".
RUN_STATUS = {
    "running": "جارية",
    "ok": "تمت",
    "finished": "انتهت",
    "empty": "بلا مقالات",
    "failed": "فشلت",
    "interrupted": "أُوقفت",
    "killed": "انقطعت",
}
# Why a revision was made (revisions.reason; NULL before schema 6).
REVISION_REASON = {
    "re-fetched": "جُلب من جديد",
    "re-ingested": "أُدخل من جديد",
    "re-extracted": "أُعيد استخراجه",
}
RUN_KIND = {"crawl": "زحف", "ingest": "إدخال ملفات", "reextract": "إعادة استخراج"}
PAGE_DECISION = {"article": "مقال", "not-article": "ليست مقالًا", "error": "خطأ"}
PAGE_OUTCOME = {
    "new": "جديد",
    "updated": "حُدِّث",
    "unchanged": "دون تغيير",
    "skipped": "تُرك",
    "failed": "فشل",
    # newsarchive.reextract: an archived article no longer judged one (kept).
    "flagged": "عُلِّم: لم يعد مقالًا",
}
FOUND_VIA = {
    "start": "صفحة البداية",
    "robots": "ملف robots.txt",
    "feed": "خلاصة",
    "sitemap": "خريطة الموقع",
    "news-sitemap": "خريطة الأخبار",
    "wp-api": "واجهة ووردبريس",
    "listing": "صفحة قائمة",
    "section": "صفحة قسم",
    "discovery": "اكتشاف",
    "file": "ملف",
    "seed": "ملف بذرة",
    "warc": "ملف WARC",
    "unknown": "غير معروف",
}
SOURCE_KIND = {
    "wordpress": "ووردبريس",
    "feed": "خلاصة",
    "sitemap": "خريطة الموقع",
    "listing": "صفحات قوائم",
    "seed": "ملفات بذور",
}

# Why a page was not archived (pages.reason, the keys of crawl_runs.dropped_reasons): the
# fixed wordings of spiders/news.py, newsarchive.decide and newsarchive.pipelines.
REASONS = {
    "article": "مقال",
    "listing or section page": "صفحة قائمة أو قسم",
    "static page": "صفحة ثابتة",
    "no article text": "لا نص مقال فيها",
    "no title or text": "بلا عنوان أو نص",
    "outside the article URL patterns": "خارج أنماط روابط المقالات",
    "older than --since": "أقدم من التاريخ المطلوب (since)",
    "duplicate of an article already crawled": "نسخة من مقال جُلب من قبل",
    "duplicate of an article already read": "نسخة من مقال قُرئ من قبل",
    "duplicate of an article already re-extracted": "نسخة من مقال أُعيد استخراجه من قبل",
    "extraction failed": "فشل الاستخراج",
    "forbidden by robots.txt": "يمنعها robots.txt",
    "undecodable page": "تعذّر فك ترميز الصفحة",
    "robots.txt": "ملف robots.txt",
    "feed": "خلاصة",
    "not a sitemap": "ليست خريطة موقع",
    "REST API": "واجهة REST",
    "REST API: not a post list": "واجهة REST: ليست قائمة مقالات",
    "listing page is not HTML": "صفحة القائمة ليست HTML",
    "listing page (discovery)": "صفحة قائمة (للاكتشاف)",
    "section page": "صفحة قسم",
}
_HTTP_STATUS = re.compile(r"HTTP (\d{3})")
_FLAGGED = "flagged: "

VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("crawl_runs", "status"): RUN_STATUS,
    ("crawl_runs", "kind"): RUN_KIND,
    ("pages", "decision"): PAGE_DECISION,
    ("pages", "outcome"): PAGE_OUTCOME,
    ("pages", "found_via"): FOUND_VIA,
    ("pages", "reason"): REASONS,
    ("sources", "kind"): SOURCE_KIND,
    ("revisions", "reason"): REVISION_REASON,
}

# Datasette 0.65's filter operators (datasette/filters.py), by key. A ``__1`` suffix
# marks an operator without an argument in the filter form.
LOOKUPS = {
    "exact": "=",
    "not": "≠",
    "contains": "يحتوي",
    "endswith": "ينتهي بـ",
    "startswith": "يبدأ بـ",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "like": "يشبه (like)",
    "notlike": "لا يشبه (not like)",
    "glob": "نمط (glob)",
    "in": "ضمن",
    "notin": "ليس ضمن",
    "arraycontains": "القائمة تحتوي",
    "arraynotcontains": "القائمة لا تحتوي",
    "date": "في تاريخ",
    "isnull": "فارغ (null)",
    "notnull": "غير فارغ (null)",
    "isblank": "خالٍ",
    "notblank": "غير خالٍ",
}


def reason_label(reason: str) -> str:
    """A reason a page was not archived, in Arabic when its wording is known."""
    if reason in REASONS:
        return REASONS[reason]
    if reason.startswith(_FLAGGED):  # newsarchive.reextract: an article no longer one
        return f"عُلِّم مقالًا سابقًا: {reason_label(reason.removeprefix(_FLAGGED))}"
    if match := _HTTP_STATUS.fullmatch(reason):
        return f"خطأ HTTP {match.group(1)}"
    return reason


def value_label(table: str | None, column: str | None, value: Any) -> str | None:
    """The Arabic word for a stored value of ``table.column``, or None when there is none
    (the value is then shown as stored)."""
    if not isinstance(value, str) or (table, column) not in VALUES:
        return None
    if (table, column) == ("pages", "reason"):
        label = reason_label(value)
        return label if label != value else None
    return VALUES[(table, column)].get(value)


def lookup_label(key: str, fallback: str = "") -> str:
    """A filter operator's Arabic name (``key`` as Datasette's form writes it)."""
    return LOOKUPS.get(key.removesuffix("__1"), fallback or key)


def plugin_settings(datasette: Any, database: str | None, table: str | None) -> dict:
    """The table's own ``plugins.newsarchive`` block in the metadata (no fallback to the
    database's: labels and hidden columns belong to one table)."""
    if not database or not table:
        return {}
    settings = datasette.plugin_config(
        "newsarchive", database=database, table=table, fallback=False
    )
    return settings if isinstance(settings, dict) else {}


def column_label(datasette: Any, database: str | None, table: str | None, column: str) -> str:
    """The column's Arabic label from the metadata, or its name."""
    labels = plugin_settings(datasette, database, table).get("labels") or {}
    return labels.get(column) or column


def table_label(datasette: Any, database: str | None, table: str | None) -> str:
    """The table's title from the metadata, or its name."""
    if not database or not table:
        return table or ""
    return datasette.table_metadata(database, table).get("title") or table
