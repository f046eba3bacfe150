"""Bylines: from what a page prints ("بقلم: محمد علي | 15 جانفي 2024") to a person and an agency.

A byline field holds many things that are not a person: the site's own name, an
organisation ("فريق التحرير", "Sky News"), a place dateline ("القاهرة -", "عواصم - وكالات"),
the alt text of a logo, a URL, a CMS account ("admin") or just a date. ``split_credit``
sorts these out: a person (or several, kept as one string), a wire agency in one display
form per agency (``AGENCIES``) so an archive can facet by it, or a short reason why the
byline was refused. Names are compared after Arabic normalisation (hamza forms, ة/ه, ى/ي,
tatweel, the article ال, case), so "البيان", "بيان" and "Al Bayan"/"albayan.ae" meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsarchive.arabic.dates import _RELATIVE, _YESTERDAY, _normalise, search_dates
from newsarchive.arabic.normalize import normalize

__all__ = ["AGENCIES", "Credit", "agency_in_text", "clean_byline", "split_credit"]


@dataclass(frozen=True)
class Credit:
    """What a byline credits: a person, a wire agency, both, or neither (with why)."""

    person: str | None = None
    agency: str | None = None  # the first agency, in its AGENCIES display form
    rejected: str | None = None  # short English reason when the byline names nobody
    agencies: tuple[str, ...] = ()  # every agency credited ("رويترز وفرانس برس"), in order


# Wire agencies: display form → the spellings a byline may use (any hamza form, with or
# without dots or spaces between letters, with or without ال; the display form is matched
# too). Display forms are the agencies' own Arabic names or acronyms, as Arabic papers
# print them; "وكالات" is the generic "agencies" credit of a story compiled from several.
AGENCIES: dict[str, tuple[str, ...]] = {
    "وأج": (
        "واج", "و.أ.ج", "وكالة الأنباء الجزائرية", "APS", "Algérie Presse Service",
        "Algerie Presse Service",
    ),
    "رويترز": ("Reuters", "وكالة رويترز"),
    "فرانس برس": (
        "فرانس بريس", "أ ف ب", "أ.ف.ب", "AFP", "وكالة الصحافة الفرنسية",
        "Agence France-Presse", "France Presse",
    ),
    "الأناضول": ("Anadolu", "AA", "وكالة الأناضول", "Anadolu Agency", "Anadolu Ajansı"),
    "سبوتنيك": ("Sputnik", "وكالة سبوتنيك"),
    "أسوشيتد برس": ("أسوشييتد برس", "اسوشيتدبرس", "AP", "Associated Press", "أ ب"),
    "د ب أ": ("د.ب.أ", "DPA", "الوكالة الألمانية", "وكالة الأنباء الألمانية"),
    "شينخوا": ("Xinhua", "وكالة شينخوا"),
    "واس": ("SPA", "وكالة الأنباء السعودية", "Saudi Press Agency"),
    "وام": ("WAM", "وكالة أنباء الإمارات"),
    "قنا": ("QNA", "وكالة الأنباء القطرية"),
    "كونا": ("KUNA", "وكالة الأنباء الكويتية"),
    "بترا": ("Petra", "وكالة الأنباء الأردنية"),
    "وفا": ("WAFA", "وكالة الأنباء الفلسطينية"),
    "سانا": ("SANA", "الوكالة العربية السورية للأنباء"),
    # MAP prints "و.م.ع" in its Arabic wires; Moroccan papers mostly say لاماب.
    "لاماب": ("MAP", "ومع", "و.م.ع", "وكالة المغرب العربي للأنباء"),
    # TAP's own Arabic acronym is وات; تاب is its Latin acronym written in Arabic.
    "وات": ("تاب", "TAP", "وكالة تونس إفريقيا للأنباء", "وكالة تونس أفريقيا للأنباء"),
    "أ ش أ": ("أ.ش.أ", "MENA", "وكالة أنباء الشرق الأوسط"),
    "وكالات": ("وكالات الأنباء", "وكالات أنباء", "agencies"),
}  # fmt: skip

# Places a dateline opens with: Arab countries, capitals and major cities, the foreign
# capitals Arabic papers report from, and "عواصم" (capitals: a story from several).
_PLACES = (
    "عواصم", "الجزائر", "الجزائر العاصمة", "وهران", "قسنطينة", "عنابة", "البليدة", "سطيف",
    "ورقلة", "تمنراست", "المغرب", "الرباط", "الدار البيضاء", "مراكش", "فاس", "طنجة",
    "تونس", "صفاقس", "سوسة", "ليبيا", "طرابلس", "بنغازي", "مصر", "القاهرة", "الإسكندرية",
    "السودان", "الخرطوم", "موريتانيا", "نواكشوط", "الصومال", "مقديشو", "جيبوتي",
    "جزر القمر", "موروني", "السعودية", "الرياض", "جدة", "مكة المكرمة", "المدينة المنورة",
    "الدمام", "الإمارات", "أبوظبي", "دبي", "الشارقة", "قطر", "الدوحة", "البحرين", "المنامة",
    "الكويت", "عمان", "مسقط", "اليمن", "صنعاء", "عدن", "العراق", "بغداد", "البصرة", "الموصل",
    "أربيل", "سوريا", "سورية", "دمشق", "حلب", "لبنان", "بيروت", "الأردن", "فلسطين",
    "القدس", "رام الله", "غزة", "نابلس", "الخليل", "تركيا", "أنقرة", "إسطنبول", "إيران",
    "طهران", "باريس", "لندن", "واشنطن", "نيويورك", "موسكو", "بكين", "برلين", "بروكسل",
    "جنيف", "روما", "مدريد", "الأمم المتحدة",
)  # fmt: skip

# Words that make a byline part an organisation wherever they stand in it.
_ORG_WORDS = (
    "وكالة", "صحيفة", "جريدة", "موقع", "قناة", "بوابة", "مجلة", "شبكة", "إذاعة",
    "تلفزيون", "التلفزيون", "مؤسسة", "وزارة", "هيئة", "أونلاين", "نيوز", "news", "newsroom",
    "agency", "tv", "channel", "press", "media", "newspaper", "online", "staff", "desk", "team",
    "bureau",
)  # fmt: skip
# Words that name a role, not a person: a part made only of these is refused
# ("المحرر", "محرر الموقع", "فريق التحرير", "قسم الأخبار"), a name among them is kept.
_ROLE_WORDS = (
    "المحرر", "محرر", "المحررين", "التحرير", "فريق", "قسم", "الأخبار", "أسرة", "مراسل",
    "مراسلنا", "مراسلو", "مراسلة", "مكتب", "الموقع", "الكاتب", "الصحفي", "في", "من", "و",
)  # fmt: skip
# Account names CMSs print when nobody signed the piece.
_JUNK_NAMES = {
    "admin", "administrator", "editor", "webmaster", "author", "user", "root", "unknown",
    "anonymous", "guest", "مدير", "المدير", "الادارة", "الإدارة", "مجهول", "n/a", "none",
}  # fmt: skip
_IMAGE_WORDS = (
    "logo", "png", "jpg", "jpeg", "webp", "svg", "gif", "photo", "image", "img", "icon",
    "thumbnail", "avatar", "صورة", "الصورة", "صور", "شعار", "تصوير", "أيقونة", "لوجو",
)  # fmt: skip

# Credit words that precede a name, in any hamza spelling (إعداد/اعداد/أعداد), with or
# without a colon, dash or slash ("كتب/ أحمد"): بقلم، كتب، كتبت، كتبه، إعداد، بواسطة، تحرير، By.
_PREFIX = re.compile(
    r"^\s*(?:بقلم(?:\s+(?:الكاتب|الكاتبه|الكاتبة|الصحفي|الصحفيه|الصحفية))?|كتبت|كتبه|كتب"
    r"|[اأإ]عداد|بواسطة|بواسطه|تحرير|تقرير|حوار|by|par|posted\s+by|written\s+by)"
    r"(?![^\W\d_])\s*[:：\-–—/]?\s*",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_BARE_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|webp|svg|gif|bmp|ico|avif)\b", re.IGNORECASE)
_SEGMENT = re.compile(r"\s*[|•·]\s*")  # "name | date | section"
# Inside a segment: commas, colons, slashes, and dashes that are not inside a word
# ("القاهرة - أ ش أ", "القاهرة- أ ش أ", "الجزائر – واج"; not "Jean-Pierre").
_PART = re.compile(r"\s*[،,:：/؛;]\s*|\s+[-–—]+\s*|\s*[-–—]+\s+|\s*[–—]+\s*")
_PARENS = re.compile(r"[(\[]\s*([^()\[\]]*?)\s*[)\]]")
_AND = re.compile(r"\s+و\s*")
_EDGES = re.compile(r"^[\s\-–—:،,()\[\]/.]+|[\s\-–—:،,()\[\]/.]+$")
_TRAILING_IN = re.compile(r"\s+(?:في|فى|في يوم|يوم)$")
_QUOTED = re.compile(r"^\s*[«\"“'](.+)[»\"”']\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_HANDLE = re.compile(r"[a-z]+[\w.]*?(?:\d|_)[\w.]*", re.IGNORECASE)
_CLOCK = re.compile(r"(?<![\w:])\d{1,2}[:.]\d\d(?::\d\d)?(?![\w:])")  # a time left by the date cut
# Weekday names left in front of a date ("الإثنين، 15 جانفي 2024"), in normalised spelling.
_WEEKDAY = re.compile(
    r"(?<![^\W\d_])(?:يوم\s+)?(?:ال)?(?:احد|اثنين|ثلاثاء|اربعاء|خميس|جمعه|سبت)(?![^\W\d_])"
)
_LONE_TATWEEL = re.compile(r"(?:(?<=\s)|^)\u0640+(?=\s|$)")
_MAX_WORDS = 10  # longer than this is a sentence or a whole block, not a byline


def _words(text: str) -> list[str]:
    """Normalised words (hamza, ة/ه, ى/ي, tatweel, case folded), ال dropped."""
    out = []
    for word in re.findall(r"[^\W_]+", normalize(text)):
        if word.startswith("ال") and len(word) > 3:
            word = word[2:]
        out.append(word)
    return out


def _key(text: str) -> str:
    """A comparison key: the normalised words run together, so "و.أ.ج", "وأج" and
    "و أ ج" meet, as do "أبو ظبي"/"أبوظبي" and "Al Bayan"/"albayan"."""
    return "".join(_words(text))


_AGENCY_KEYS: dict[str, str] = {
    _key(alias): display for display, aliases in AGENCIES.items() for alias in (display, *aliases)
}
_PLACE_KEYS = frozenset(_key(place) for place in _PLACES)
_ORG_KEYS = frozenset(_key(word) for word in _ORG_WORDS)
_ROLE_KEYS = frozenset(_key(word) for word in _ROLE_WORDS)
_IMAGE_KEYS = frozenset(_key(word) for word in _IMAGE_WORDS)
_JUNK_KEYS = frozenset(_key(word) for word in _JUNK_NAMES)
_AGENCY_NOISE = re.compile(r"\s*(?:بتصرف|[+&])\s*$")


def _agency(text: str) -> str | None:
    """The display form of the agency ``text`` names, alone ("و.أ.ج", "وكالة رويترز",
    "رويترز بتصرف"), or None."""
    key = _key(_AGENCY_NOISE.sub("", text))
    if not key:
        return None
    found = _AGENCY_KEYS.get(key)
    if found is None and key.startswith("وكاله"):
        found = _AGENCY_KEYS.get(key[len("وكاله") :])
    return found


def _agencies(text: str) -> list[str]:
    """One agency, or several joined by و ("رويترز وفرانس برس"); [] unless every piece is one."""
    single = _agency(text)
    if single:
        return [single]
    pieces = [piece for piece in _AND.split(text) if piece.strip()]
    if len(pieces) < 2:
        return []
    found = [_agency(piece) for piece in pieces]
    return [a for a in found if a] if all(found) else []


def _is_place(text: str) -> bool:
    return _key(text) in _PLACE_KEYS


_SECOND_LEVEL = frozenset(("com", "co", "org", "net", "gov", "edu", "info", "news", "press"))


def _site_keys(site_names: Iterable[str], domain: str | None) -> frozenset[str]:
    keys = {_key(name) for name in site_names}
    if domain:
        host = domain.strip().lower()
        if "//" in host:
            host = urlsplit(host).hostname or ""
        host = host.split("/", 1)[0].split(":", 1)[0].rstrip(".")
        host = host.removeprefix("www.")
        labels = [label for label in host.split(".") if label]
        keys.add(_key(host))
        # The registrable label: "akhbarelyom" of akhbarelyom.com, "ahram" of
        # english.ahram.org.eg (under a second-level suffix such as .org.eg, .co.ma).
        if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
            keys.add(_key(labels[-3]))
        elif len(labels) >= 2:
            keys.add(_key(labels[-2]))
    keys.discard("")
    return frozenset(keys)


@dataclass(frozen=True)
class _Part:
    """What one part of a byline is: a person, agencies, a place, or refused with a reason."""

    kind: str  # "person", "agency", "place" or "rejected"
    person: str | None = None
    agencies: tuple[str, ...] = ()
    reason: str | None = None


def _classify(part: str, sites: frozenset[str]) -> _Part:
    if not _LETTER.search(part):
        return _Part("rejected", reason="no name")
    agencies = _agencies(part)
    if agencies:
        return _Part("agency", agencies=tuple(agencies))
    if _only_dates(part):  # "الإثنين" left in front of a date that was cut
        return _Part("rejected", reason="date only")
    quoted = _QUOTED.match(part)
    bare = quoted[1] if quoted else part
    key = _key(bare)
    if key in sites:
        return _Part("rejected", reason="site name")
    if _is_place(_TRAILING_IN.sub("", bare)):  # "الجزائر في 12 مارس" lost its date
        return _Part("place")
    words = _words(bare)
    if _IMAGE_FILE.search(bare) or any(word in _IMAGE_KEYS for word in words):
        return _Part("rejected", reason="image text")
    if _EMAIL.search(bare):
        return _Part("rejected", reason="email")
    if _URL.search(bare) or _BARE_DOMAIN.fullmatch(bare.strip()):
        return _Part("rejected", reason="URL")
    if key in _JUNK_KEYS or "admin" in key or _LATIN_HANDLE.fullmatch(bare.strip()):
        return _Part("rejected", reason="CMS account")
    if any(word in _ORG_KEYS for word in words) or all(word in _ROLE_KEYS for word in words):
        return _Part("rejected", reason="organisation")
    if quoted:
        return _Part("rejected", reason="organisation")  # «الحياة»: a paper, not a person
    if len(bare.split()) > _MAX_WORDS:
        return _Part("rejected", reason="too long")
    return _Part("person", person=" ".join(bare.strip("«»\"“”'").split()))


def _only_dates(text: str) -> bool:
    """Whether ``text`` says nothing but dates (absolute or relative: "منذ ساعتين")."""
    norm = _normalise(text)
    for regex in (_RELATIVE, _YESTERDAY, _WEEKDAY):
        norm = regex.sub(" ", norm)
    for match in reversed(search_dates(norm)):
        norm = norm[: match.start] + " " + norm[match.end :]
    return not _LETTER.search(norm)


def _parts(text: str) -> list[str]:
    """A segment split at separators, an agency in brackets standing as a part of its own
    ("الجزائر (وأج)", "محمد علي (رويترز)"); other bracketed text stays where it is."""

    def lift(match: re.Match[str]) -> str:
        return f" - {match[1]} - " if _agencies(match[1]) else match[0]

    text = _PARENS.sub(lift, text)
    parts = (_EDGES.sub("", part) for part in _PART.split(text))
    return [" ".join(part.split()) for part in parts if part and part.strip()]


@dataclass
class _Tally:
    persons: list[str]
    agencies: list[str]
    reasons: list[str]
    place: bool = False


def _read_segment(segment: str, sites: frozenset[str], tally: _Tally, *, persons: bool) -> bool:
    """Add what one "|"-segment credits to ``tally`` (persons only when ``persons``);
    False when the segment holds nothing but dates."""
    text = segment
    for _ in range(2):  # "كتب: بقلم ..." happens
        text = _PREFIX.sub("", text, count=1)
    if not text.strip():
        return False
    if _only_dates(text):
        tally.reasons.append("date only")
        return False
    head, tail = text, ""
    dates = search_dates(text)
    if dates:
        # What precedes the first date is the byline; after the last one only an agency
        # counts ("الجزائر في 12 مارس 2024 (وأج)", "محمد علي - 15/01/2024 - 10:30").
        head, tail = text[: dates[0].start], text[dates[-1].end :]
    after_place = False
    for index, part in enumerate(_parts(_CLOCK.sub(" ", head))):
        found = _classify(part, sites)
        if index == 0 and found.reason == "image text":
            # "تصوير: أحمد", "Photo: AFP": a picture's credit, not the article's.
            tally.reasons.append("image text")
            return True
        if found.kind == "place":
            tally.place = True
            after_place = after_place or index == 0
        elif found.kind == "agency":
            tally.agencies.extend(found.agencies)
        elif found.person and after_place and len(found.person.split()) == 1:
            # "أبوظبي - البيان", "عمان - الرأي": after a place, one word is the paper.
            tally.reasons.append("place dateline")
        elif found.person:
            if persons:
                tally.persons.append(found.person)
        elif found.reason:
            tally.reasons.append(found.reason)
    for part in _parts(tail):
        tally.agencies.extend(_agencies(part))
    return True


def split_credit(
    raw: str | None, *, site_names: Iterable[str] = (), domain: str | None = None
) -> Credit:
    """Who a byline credits: ``person`` (several joined by "، ", or as written with و),
    ``agency`` (a wire agency's AGENCIES display form), or neither with ``rejected``
    saying why: "site name", "organisation", "place dateline", "image text", "URL",
    "email", "CMS account", "date only", "too long", "no name".

    ``site_names`` and ``domain`` are the site's own names: a byline naming the site
    ("البيان", "akhbarelyom", "www.albayan.ae") credits no person. In a "name | date |
    section" line the person comes from the first segment that is not a date; later
    segments give only an agency (a section name must not become an author)."""
    if not raw or not raw.strip():
        return Credit()
    sites = _site_keys(site_names, domain)
    # U+0640 tatweel is decoration inside a word; standing alone it is typed as a dash
    # ("دبي ـ العربية.نت").
    text = " ".join(_LONE_TATWEEL.sub(" - ", raw).replace("\u0640", "").split())
    if _key(text) in sites or _key(text.lower().removeprefix("www.")) in sites:
        return Credit(rejected="site name")
    stripped = _URL.sub(" ", _EMAIL.sub(" ", text))
    if not _LETTER.search(_SEGMENT.sub(" ", stripped)):
        if _EMAIL.search(text):
            return Credit(rejected="email")
        if _URL.search(text) or _BARE_DOMAIN.search(text):
            return Credit(rejected="URL")
        return Credit(rejected="date only" if search_dates(text) else "no name")
    if _IMAGE_FILE.search(stripped):
        return Credit(rejected="image text")  # "logo.png" would split at its dot
    tally = _Tally([], [], [])
    byline_read = False  # "15 جانفي 2024 | محمد علي": a date segment first, the name next
    for segment in _SEGMENT.split(stripped):
        byline_read = _read_segment(segment, sites, tally, persons=not byline_read) or byline_read
    agencies = tuple(dict.fromkeys(tally.agencies))
    person = "، ".join(dict.fromkeys(tally.persons)) or None
    rejected = None
    if person is None and not agencies:
        # A dateline explains the whole byline; "date only" only when nothing else is said.
        reasons = [reason for reason in tally.reasons if reason != "date only"]
        reasons = ["place dateline"] if tally.place else reasons or tally.reasons
        rejected = reasons[0] if reasons else "no name"
    return Credit(person, agencies[0] if agencies else None, rejected, agencies)


def clean_byline(raw: str | None) -> str | None:
    """The author's name in a byline, or None when it holds no person (only a date,
    a CMS account such as "admin", a URL, an agency, an organisation)."""
    return split_credit(raw).person


# --- agency credits in article text ----------------------------------------------------

# "الجزائر - (وأج) -", "الجزائر في 12 مارس 2024 (وأج) -", "(واج) - ": a bracketed credit
# near the start, followed by a dateline separator.
_LEAD_BRACKETED = re.compile(
    r"^(?P<head>[^()\[\]\n]{0,80}?)[(\[]\s*(?P<credit>[^()\[\]\n]{1,40}?)\s*[)\]]\s*(?:[-–—:،,]|$)"
)
# "الرياض - واس - ...", "عواصم - وكالات: ...": an unbracketed credit between separators.
_LEAD_PLAIN = re.compile(
    r"^(?P<head>[^()\[\]\-–—:\n]{2,80}?)\s*[-–—:]\s*(?P<credit>[^()\[\]\-–—:\n]{1,40}?)\s*[-–—:]"
)
# "... (واج)." at the very end; "المصدر: رويترز" as a paragraph of its own.
_TRAIL_BRACKETED = re.compile(r"[(\[]\s*(?P<credit>[^()\[\]\n]{1,40}?)\s*[)\]]\s*[.。]?\s*$")
_SOURCE_LINE = re.compile(
    r"^\s*(?:المصدر|مصدر|source)\s*[:：]\s*(?P<credit>.{1,40}?)\s*[.]?\s*$", re.I
)


def _dateline_head(head: str, *, needs_place: bool = False) -> bool:
    """Whether what precedes a credit is a place (with perhaps its date), or nothing."""
    for match in reversed(search_dates(head)):
        head = head[: match.start] + " " + head[match.end :]
    words = _EDGES.sub("", head).split()
    if not words:
        return not needs_place
    # A place of up to three words, then at most three more ("في", a weekday, a date
    # without its year): anything longer is a sentence, not a dateline.
    return any(_is_place(" ".join(words[:n])) and len(words) - n <= 3 for n in (1, 2, 3))


def agency_in_text(text: str) -> str | None:
    """The wire agency an article credits in its dateline or sign-off, in its AGENCIES
    display form: "الجزائر - (وأج) - ..." or "... (واج)" at the end, "الرياض - واس - ...",
    or a closing "المصدر: رويترز". Conservative: only a bracketed credit, or one in the
    dateline position after a place; an agency merely mentioned in the text is not one."""
    paragraphs = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not paragraphs:
        return None
    first, last = paragraphs[0], paragraphs[-1]
    for regex in (_LEAD_BRACKETED, _LEAD_PLAIN):
        match = regex.match(first)
        # Unbracketed, the credit counts only after a place ("الرياض - واس -").
        needs_place = regex is _LEAD_PLAIN
        if match and _dateline_head(match["head"], needs_place=needs_place):
            found = _agencies(match["credit"])
            if found:
                return found[0]
    for regex in (_TRAIL_BRACKETED, _SOURCE_LINE):
        match = regex.search(last)
        if match:
            found = _agencies(match["credit"])
            if found:
                return found[0]
    return None
