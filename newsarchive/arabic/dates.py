"""Arabic news dates → ISO 8601 with an offset (or without one, when the offset is unknown).

Hand-written month tables cover what dateparser (1.2) does not: it has no Maghreb month names
(جانفي, أوت, جويلية), no Levantine ones (كانون الثاني, آب), no dual forms ("آب/اغسطس") and no
Moroccan forms (غشت, شتنبر). dateparser stays as a last resort for anything else, with every
part of the date required, so it can never invent a day.

The rule that matters most: a date needs a day, a month and a year. A bare year or a
month and a year is *not* a publication date, and returning "YYYY-01-01" for it (as
trafilatura/htmldate do for "15 جانفي 2024") silently corrupts the archive.

Times printed without an offset are local time in the paper's country (``zone_for_host``
names it from the site's country-code domain). When that country is unknown, pass
``tz=None``: such times come back as naive ISO strings ("2024-01-15T10:30:00"), recording
that the offset is unknown rather than inventing one. Offsets the text gives are kept.

Each date found in text carries a role, read from the label just before it: "published"
("نشر في", "Publié le"), "modified" ("آخر تحديث", "Updated") or None.
"""

from __future__ import annotations

import email.utils
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

try:
    from zoneinfo import ZoneInfo

    ALGIERS: tzinfo = ZoneInfo("Africa/Algiers")
except Exception:  # pragma: no cover - no tz database on the host
    # Algeria has kept UTC+1 without daylight saving since 1981.
    ALGIERS = timezone(timedelta(hours=1), "CET")

__all__ = [
    "ALGIERS",
    "DateMatch",
    "find_date_in_text",
    "normalise_date",
    "parse_arabic_date",
    "search_dates",
    "split_published_modified",
    "zone_for_host",
]

# Eastern Arabic (U+0660–U+0669) and Persian/Urdu (U+06F0–U+06F9) digits → ASCII; the
# Arabic comma/semicolon/decimal separator become their Latin look-alikes so one regex fits.
_TRANSLATE = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_TRANSLATE.update({0x060C: ",", 0x061B: ";", 0x066B: ":", 0x066C: ",", 0x200F: None, 0x200E: None})
# Spelling variants only matter for month matching: alef with hamza/madda/wasla → bare alef
# (أفريل/افريل, آب/اب, إبريل/ابريل), ى → ي, ة → ه (جويلية/جويليه, يونية/يونيه).
_TRANSLATE.update({ord(c): "ا" for c in "أإآٱ"})
_TRANSLATE.update({ord("ى"): "ي", ord("ة"): "ه", 0x0640: None})  # U+0640 tatweel
# Tashkeel (U+064B–U+065F, U+0670) carries no date information ("مساءً").
_TRANSLATE.update({cp: None for cp in range(0x064B, 0x0660)})
_TRANSLATE[0x0670] = None


def _normalise(text: str) -> str:
    return text.translate(_TRANSLATE)


# Month names, already in normalised spelling (see _TRANSLATE).
_MONTHS: dict[str, int] = {
    # Maghreb (Algeria, Tunisia): French-derived.
    "جانفي": 1, "فيفري": 2, "مارس": 3, "افريل": 4, "ماي": 5, "جوان": 6,
    "جويليه": 7, "اوت": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    # Morocco.
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
    # Egypt and the Gulf.
    "يناير": 1, "فبراير": 2, "ابريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "اغسطوس": 8, "سبتمبير": 9,
    # Levant and Iraq (Syriac-derived).
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6,
    "تموز": 7, "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11,
    "كانون الاول": 12,
    # English, for metadata such as "15 Jan 2024" or "January 15, 2024".
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # French, for the Maghreb's French-language date lines ("Publié le 12 mars 2024").
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip

# Longest first so "مايو" wins over "ماي" and "تشرين الثاني" is not cut short.
_MONTH_ALT = "|".join(
    re.escape(m).replace(r"\ ", r"\s+") for m in sorted(_MONTHS, key=len, reverse=True)
)
# Word boundaries by hand: \b treats Arabic letters as word characters, which is what we
# want, but "ماي" must not match inside "مايكل", hence the lookarounds.
_M = rf"(?<![^\W\d_])(?:{_MONTH_ALT})(?![^\W\d_])"
_SEP = r"[\s,.\-/]*"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"

_TIME = (
    r"(?P<hour>[012]?\d)[:.](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:\.\d+)?)?"
    r"(?:\s*(?P<ampm>مساءا?|صباحا?|ظهرا|ليلا|عصرا|فجرا|[مص](?![^\W\d_])|[ap]\.?m\.?))?"
    r"(?:\s*\(?\s*(?P<tz>Z|(?:GMT|UTC)?\s*[+-]\s*\d{1,2}(?::?\d\d)?)\s*\)?)?"
)
# What may sit between a date and its time: "- 12:09", "، الساعة 10:30", "على الساعة 10:30"
# (normalised spelling: على → علي, الساعة → الساعه), "à 10:00", "at 10:00".
_TIME_GLUE = r"[\s,\-|–—]*(?:(?:علي|في|à|at)\s+)?(?:الساعه\s*)?"

_DMY_WORDS = re.compile(
    rf"(?<!\d)(?P<day>[0-3]?\d)(?:er)?\s*(?:من\s+)?(?:شهر\s+)?(?P<month>{_M})"
    # Dual forms: "يناير/كانون الثاني", "آب/اغسطس", "كانون الثاني (يناير)".
    rf"(?:\s*[/\-(]\s*(?P<month2>{_M})\s*\)?)?"
    rf"{_SEP}(?:(?:سنه|عام)\s+)?{_YEAR}",
    re.IGNORECASE,
)
_MDY_WORDS = re.compile(
    rf"(?P<month>{_M})\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+{_YEAR}", re.IGNORECASE
)
_YMD_NUM = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?!\d)"
    r"(?:[T\s]+" + _TIME + r")?"
)
_DMY_NUM = re.compile(
    r"(?<![\d/.-])(?P<day>[0-3]?\d)(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)" + _YEAR
)
_TIME_AFTER = re.compile(_TIME_GLUE + _TIME, re.IGNORECASE)
_TIME_ANY = re.compile(r"(?<![\d:])" + _TIME, re.IGNORECASE)
_TIME_BEFORE = re.compile(r"(?<![\d:])" + _TIME + r"[\s,\-|–—]*$", re.IGNORECASE)

# Relative forms. Singular, dual and plural of each unit; a number may be a digit or a word.
_UNITS: dict[str, tuple[str, int]] = {
    "ثانيه": ("seconds", 1), "ثانيتين": ("seconds", 2), "ثانيتان": ("seconds", 2),
    "ثوان": ("seconds", 0), "ثواني": ("seconds", 0),
    "دقيقه": ("minutes", 1), "دقيقتين": ("minutes", 2), "دقيقتان": ("minutes", 2),
    "دقائق": ("minutes", 0),
    "ساعه": ("hours", 1), "ساعتين": ("hours", 2), "ساعتان": ("hours", 2), "ساعات": ("hours", 0),
    "يوم": ("days", 1), "يومين": ("days", 2), "يومان": ("days", 2), "ايام": ("days", 0),
    "اسبوع": ("weeks", 1), "اسبوعين": ("weeks", 2), "اسبوعان": ("weeks", 2),
    "اسابيع": ("weeks", 0),
}  # fmt: skip
_NUMBER_WORDS = {
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمان": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
    "عشر": 10, "عشره": 10,
}  # fmt: skip
_UNIT_ALT = "|".join(sorted(_UNITS, key=len, reverse=True))
_NUM_ALT = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_RELATIVE = re.compile(
    rf"(?:منذ|قبل)\s+(?:(?P<n>\d+|{_NUM_ALT})\s+)?(?P<unit>{_UNIT_ALT})(?![^\W\d_])"
)
_YESTERDAY = re.compile(r"(?<![^\W\d_])(?P<word>(?:اول|قبل)\s+امس|امس|البارحه|اليوم)(?![^\W\d_])")
_ISO_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d\d)?$")

# Labels that say what a date is, in normalised spelling (آخر → اخر, ة → ه): a date is
# "modified" or "published" when one of these ends at most _LABEL_REACH characters before
# it, with no other date in between. Arabic labels may carry و/ال ("والتحديث", "النشر").
_LABEL_REACH = 40
_MODIFIED_LABEL = re.compile(
    r"(?<![^\W\d_])(?:"
    r"و?(?:ال)?(?:تحديث|تعديل)|(?:ال)?محدث"  # اخر تحديث, تم التحديث, اخر تعديل, محدث
    r"|last\s+(?:updated|modified)|updated?|modified"
    r"|mise?\s+[aà]\s+jour|actualis[ée]e?|actualizado|aktualisiert"
    r")(?![^\W\d_])",
    re.IGNORECASE,
)
_PUBLISHED_LABEL = re.compile(
    r"(?<![^\W\d_])(?:"
    r"و?(?:ال)?نشرت?|منشور|(?:ال)?اضافه|اضيف"  # نشر في, تاريخ النشر, تاريخ الاضافة
    r"|published|posted|publi[ée]e?|ver[öo]ffentlicht|publicado"
    r")(?![^\W\d_])",
    re.IGNORECASE,
)

_DATEPARSER_SETTINGS = {
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DATES_FROM": "past",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


@dataclass
class DateMatch:
    """A full date found in text: where it is and what it means."""

    start: int
    end: int
    value: str  # ISO 8601, with an offset unless the text gave none and tz was None
    # "published" or "modified" when a label just before the date says so ("نشر في",
    # "آخر تحديث"), else None.
    role: str | None = None


def _tz_from(token: str | None, default: tzinfo | None) -> tzinfo | None:
    if not token:
        return default
    token = token.strip().upper().replace("GMT", "").replace("UTC", "").replace(" ", "")
    if token in ("Z", ""):
        return UTC
    match = _ISO_OFFSET.match(token)
    if not match:
        return default
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def _clock(m: re.Match[str] | None) -> tuple[time | None, str | None]:
    """The time of day a _TIME match says, with its offset token; None when it is impossible."""
    if m is None:
        return None, None
    hour, minute = int(m["hour"]), int(m["minute"])
    second = int(m["second"] or 0)
    ampm = (m.groupdict().get("ampm") or "").lower().replace(".", "")
    # مساء/م/pm = afternoon; ليلا/عصرا are evening unless the hour is already past noon;
    # صباحا/ص/am/فجرا = morning, where 12 means 0.
    if ampm in ("مساء", "مساءا", "م", "pm", "عصرا") or (ampm == "ليلا" and hour >= 6):
        if hour < 12:
            hour += 12
    elif ampm == "ظهرا":
        if hour < 6:
            hour += 12
    elif ampm in ("صباحا", "صباح", "ص", "am", "فجرا", "ليلا") and hour == 12:
        hour = 0
    if hour > 23:
        return None, None
    return time(hour, minute, second), m.groupdict().get("tz")


def _build(
    year: int, month: int, day: int, clock: time | None, tz_token: str | None, tz: tzinfo | None
) -> str | None:
    try:
        day_value = date(year, month, day)
    except ValueError:
        return None
    stamp = datetime.combine(day_value, clock or time(0, 0), tzinfo=_tz_from(tz_token, tz))
    return stamp.isoformat(timespec="seconds")


def _month_number(name: str | None) -> int | None:
    if not name:
        return None
    return _MONTHS.get(re.sub(r"\s+", " ", name.lower()))


def _role(norm: str, start: int, end: int) -> str | None:
    """ "modified"/"published" when the label nearest before norm[end] says so."""
    window = norm[max(start, end - _LABEL_REACH) : end]
    best: tuple[int, str | None] = (-1, None)
    for role, regex in (("modified", _MODIFIED_LABEL), ("published", _PUBLISHED_LABEL)):
        for m in regex.finditer(window):
            if m.end() > best[0]:
                best = (m.end(), role)
    return best[1]


def _absolute_matches(norm: str, tz: tzinfo | None, *, with_time: bool) -> list[DateMatch]:
    """Every day+month+year date in normalised text, in order of appearance."""
    found: list[DateMatch] = []
    for regex in (_DMY_WORDS, _MDY_WORDS, _YMD_NUM, _DMY_NUM):
        for m in regex.finditer(norm):
            if any(f.start <= m.start() < f.end for f in found):
                continue  # "2024-01-15" inside a match already taken
            year, day = int(m["year"]), int(m["day"])
            if regex in (_DMY_WORDS, _MDY_WORDS):
                month = _month_number(m["month"])
                second_month = _month_number(m.groupdict().get("month2"))
                if second_month and second_month != month:
                    logger.debug("dual month names disagree in %r", m.group(0))
            else:
                month = int(m["month"])
                if month > 12 and day <= 12:  # month-first (US) numeric form
                    month, day = day, month
            if month is None:
                continue
            clock, tz_token, end = None, None, m.end()
            if regex is _YMD_NUM and m["hour"]:
                clock, tz_token = _clock(m)
            elif with_time:
                after = _TIME_AFTER.match(norm, m.end())
                if after:
                    clock, tz_token = _clock(after)
                    end = after.end()
            value = _build(year, month, day, clock, tz_token, tz)
            if value:
                found.append(DateMatch(m.start(), end, value))
    found.sort(key=lambda f: f.start)
    previous_end = 0
    for f in found:
        f.role = _role(norm, min(previous_end, f.start), f.start)
        previous_end = max(previous_end, f.end)
    return found


def _first_published(matches: list[DateMatch]) -> int:
    """Index of the date to read as the publication date: the first one not labelled as
    an update ("آخر تحديث 14 مارس | نشر في 12 مارس" → 12 مارس), else the first."""
    return next((i for i, m in enumerate(matches) if m.role != "modified"), 0)


def search_dates(text: str, *, tz: tzinfo | None = ALGIERS) -> list[DateMatch]:
    """All full dates in ``text`` (offsets refer to ``text``; normalisation keeps lengths
    except where it drops tashkeel, tatweel or direction marks, which dates do not contain),
    each with its ``role``. ``tz`` is the zone of times printed without an offset; None
    means unknown, and such times come back without an offset."""
    norm = _normalise(text)
    if len(norm) != len(text):
        # Dropped characters shift offsets; map them back through a kept-index table.
        kept = [i for i, ch in enumerate(text) if _normalise(ch)]
        kept.append(len(text))
        return [
            DateMatch(kept[m.start], kept[m.end - 1] + 1 if m.end else 0, m.value, m.role)
            for m in _absolute_matches(norm, tz, with_time=True)
        ]
    return _absolute_matches(norm, tz, with_time=True)


def find_date_in_text(text: str, *, tz: tzinfo | None = ALGIERS) -> str | None:
    """The first full date (day, month and year) in body or byline text, skipping one
    labelled as an update when another follows ("آخر تحديث ... نشر في ..."), or None."""
    if not text:
        return None
    matches = _absolute_matches(_normalise(text), tz, with_time=True)
    return matches[_first_published(matches)].value if matches else None


def split_published_modified(
    text: str, *, tz: tzinfo | None = ALGIERS
) -> tuple[str | None, str | None]:
    """(published, modified) from a short meta line such as
    "نشر في 12 مارس 2024 - آخر تحديث 14 مارس 2024 10:00": published is the first date not
    labelled as an update, modified the first date that is, in whichever order they come."""
    if not text:
        return None, None
    matches = search_dates(text, tz=tz)
    published = next((m.value for m in matches if m.role != "modified"), None)
    modified = next((m.value for m in matches if m.role == "modified"), None)
    return published, modified


def _relative(norm: str, now: datetime, *, local_day_known: bool = True) -> str | None:
    m = _RELATIVE.search(norm)
    if m:
        unit, implied = _UNITS[m["unit"]]
        raw = m["n"]
        count = (int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]) if raw else implied
        if count == 0:  # a plural with no number ("منذ دقائق") is not a point in time
            return None
        stamp = now - timedelta(**{unit: count})
        if unit in ("days", "weeks"):
            # "منذ يومين" names a day, not an hour: keep the day, do not invent the time.
            stamp = stamp.replace(hour=0, minute=0, second=0, microsecond=0)
            if not local_day_known:  # midnight where? unknown: no offset
                stamp = stamp.replace(tzinfo=None)
        return stamp.replace(microsecond=0).isoformat(timespec="seconds")
    m = _YESTERDAY.search(norm)
    if m:
        word = m["word"]
        back = 0 if word == "اليوم" else 2 if " " in word else 1
        day_value = (now - timedelta(days=back)).date()
        clock, tz_token = _clock(_TIME_ANY.search(norm))
        if back == 0 and clock is None:
            return None  # "اليوم" alone is too often just a word ("اليوم السابع")
        tz = _tz_from(tz_token, now.tzinfo if local_day_known else None)
        return datetime.combine(day_value, clock or time(0, 0), tzinfo=tz).isoformat(
            timespec="seconds"
        )
    return None


def _with_dateparser(text: str, tz: tzinfo | None) -> str | None:
    """Last resort for forms the tables do not know; every part of the date is required."""
    if not re.search(r"\d", text) or not re.search(r"[^\W\d_]", text):
        return None
    import dateparser  # deferred: ~0.1 s to import, and rarely needed

    try:
        parsed = dateparser.parse(text, languages=["ar", "en", "fr"], settings=_DATEPARSER_SETTINGS)
    except Exception:  # dateparser raises assorted errors on odd input
        logger.debug("dateparser failed on %r", text, exc_info=True)
        return None
    if parsed is None or parsed.year < 1900:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat(timespec="seconds")


def parse_arabic_date(
    text: str, *, now: datetime | None = None, tz: tzinfo | None = ALGIERS
) -> str | None:
    """Parse one date field ("الاثنين 15 جانفي 2024 - 10:30", "منذ ساعتين", "2024-01-15")
    into ISO 8601 with an offset. ``tz`` applies when the text names no offset; ``tz=None``
    means the offset is unknown and such times come back naive ("2024-01-15T10:30:00").
    ``now`` anchors relative forms. A bare year or month+year gives None, never a
    1 January. A date labelled as an update is skipped when another date follows."""
    if not text or not text.strip():
        return None
    norm = _normalise(text.strip())
    matches = _absolute_matches(norm, tz, with_time=True)
    if matches:
        index = _first_published(matches)
        first = matches[index]
        if "T00:00:00" in first.value and not _TIME_AFTER.match(norm, first.end):
            # A time given just before the date ("10:30 | 15/01/2024") belongs to it too; a
            # time further on usually does not ("28 آب 2013، آخر تحديث 14:00" is the update).
            since = matches[index - 1].end if index else 0
            clock, tz_token = _clock(_TIME_BEFORE.search(norm, since, first.start))
            if clock:
                parsed = datetime.fromisoformat(first.value)
                stamp = datetime.combine(
                    parsed.date(), clock, tzinfo=_tz_from(tz_token, parsed.tzinfo or tz)
                )
                return stamp.isoformat(timespec="seconds")
        return first.value
    # With the zone unknown, "now" is still a known instant (UTC), so "منذ ساعتين" keeps an
    # offset; the calendar day of "أمس" or "منذ يومين" is local, so it comes back naive.
    local_day_known = tz is not None or now is not None
    current = now or datetime.now(tz or UTC)
    if current.tzinfo is None and tz is not None:
        current = current.replace(tzinfo=tz)
    relative = _relative(norm, current, local_day_known=local_day_known)
    if relative:
        return relative
    return _with_dateparser(text, tz)


# --- machine-written dates -------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# ISO 8601 basic-format time without separators, as in JawharaFM's "2017-01-22T185600".
_COMPACT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})")


def normalise_date(value: str | None, tz: tzinfo | None = None) -> str | None:
    """A machine-written date (feeds, sitemaps, corpora, JSON) as ISO 8601:
    ``YYYY-MM-DDTHH:MM:SS+HH:MM``, or ``YYYY-MM-DD`` when the input has no time of day
    (none is invented). ``tz`` is the zone for times written
    without an offset; without it they are read as UTC. ``None`` when unrecognised.

    Accepts RFC 822 (RSS ``pubDate``: ``Mon, 26 Feb 2018 02:20:10 GMT``), ISO 8601 with
    or without offset, the compact ``2017-01-22T171800`` and day-first ``18/05/2017``.
    """
    value = (value or "").strip()
    if not value:
        return None
    parsed: datetime | None = None
    if match := _DMY.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    if match := _COMPACT.fullmatch(value):
        parsed = datetime(*(int(g) for g in match.groups()))
    elif value[:1].isdigit():
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if len(value) == 10:  # a bare date stays a bare date
            return parsed.date().isoformat()
    else:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        # RFC 5322 §3.3: "-0000" means UTC with no local offset known.
        parsed = parsed.replace(tzinfo=tz or UTC)
    return parsed.isoformat(timespec="seconds")


# --- the zone of a site's country --------------------------------------------------------

# A time printed without an offset ("15 جانفي 2024 - 10:30") is local time in the paper's
# country, so a site on a country-code domain tells us the zone. Only countries with a
# single zone are listed (Russia, the US, Brazil, Spain with the Canaries... are not),
# and no generic domain is: a .com/.net/.org site may publish from anywhere, so its
# offset is unknown and must be recorded as unknown (tz=None), not invented. Generic-use
# ccTLDs (.tv, .fm, .io, .co, .me, .ai) are left out for the same reason.
_COUNTRY_ZONES: dict[str, str] = {
    # Maghreb and the Nile
    "dz": "Africa/Algiers", "ma": "Africa/Casablanca", "tn": "Africa/Tunis",
    "ly": "Africa/Tripoli", "eg": "Africa/Cairo", "sd": "Africa/Khartoum",
    "ss": "Africa/Juba", "mr": "Africa/Nouakchott", "td": "Africa/Ndjamena",
    # Horn of Africa and the Comoros
    "so": "Africa/Mogadishu", "dj": "Africa/Djibouti", "er": "Africa/Asmara",
    "km": "Indian/Comoro",
    # Gulf and Yemen
    "sa": "Asia/Riyadh", "ae": "Asia/Dubai", "qa": "Asia/Qatar", "bh": "Asia/Bahrain",
    "kw": "Asia/Kuwait", "om": "Asia/Muscat", "ye": "Asia/Aden",
    # Levant and Iraq. Palestine has two tz zones (Gaza, Hebron) that differ only in some
    # years' daylight-saving dates; Hebron is the West Bank's, where most papers are.
    "iq": "Asia/Baghdad", "sy": "Asia/Damascus", "lb": "Asia/Beirut", "jo": "Asia/Amman",
    "ps": "Asia/Hebron", "il": "Asia/Jerusalem",
    # Neighbours and the European capitals of the Arabic press
    "tr": "Europe/Istanbul", "ir": "Asia/Tehran", "pk": "Asia/Karachi",
    "fr": "Europe/Paris", "uk": "Europe/London", "gb": "Europe/London",
    "de": "Europe/Berlin", "be": "Europe/Brussels", "nl": "Europe/Amsterdam",
    "ch": "Europe/Zurich", "it": "Europe/Rome", "at": "Europe/Vienna", "se": "Europe/Stockholm",
    # Arabic-script country-code domains (IDN ccTLDs), written as decoded from punycode.
    "الجزائر": "Africa/Algiers", "المغرب": "Africa/Casablanca", "تونس": "Africa/Tunis",
    "مصر": "Africa/Cairo", "السودان": "Africa/Khartoum", "موريتانيا": "Africa/Nouakchott",
    "السعودية": "Asia/Riyadh", "امارات": "Asia/Dubai", "قطر": "Asia/Qatar",
    "البحرين": "Asia/Bahrain", "عمان": "Asia/Muscat", "اليمن": "Asia/Aden",
    "عراق": "Asia/Baghdad", "سورية": "Asia/Damascus", "الاردن": "Asia/Amman",
    "فلسطين": "Asia/Hebron", "ایران": "Asia/Tehran",
}  # fmt: skip


def zone_for_host(host: str) -> str | None:
    """The IANA zone of a site's country from its country-code domain ("www.aps.dz",
    "ahram.org.eg", "www.spa.gov.sa", "le360.co.ma" or a whole URL), or None when the
    domain names no single-zone country (.com, .net, .org, unknown)."""
    host = (host or "").strip().lower()
    if "//" in host:
        host = urlsplit(host).hostname or ""
    host = host.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if "." not in host:
        return None
    tld = host.rsplit(".", 1)[1]
    if tld.startswith("xn--"):
        try:
            tld = tld.encode("ascii").decode("idna")
        except UnicodeError:
            return None
    return _COUNTRY_ZONES.get(tld)
