"""Bytes → Arabic text, or a loud failure. Mojibake is never returned.

Arabic sites still serve windows-1256 and mislabel charsets (a UTF-8 page declared as
windows-1256, a windows-1256 page declared as ISO-8859-1). The rules, in order:

1. A byte-order mark wins (WHATWG "decode" algorithm: the BOM overrides every label).
2. Bytes that are valid UTF-8 are UTF-8, whatever the label says: random windows-1256 text
   is almost never valid UTF-8, so this test has practically no false positives. So are
   bytes that are UTF-8 but for a few stray ones (ten valid sequences a stray byte).
3. The declared charsets (HTTP header, then ``<meta charset>``/http-equiv): each is tried and
   the one that decodes strictly to Arabic without mojibake wins. Latin labels
   (iso-8859-1, latin-1, windows-1252, ascii) on Arabic bytes mean windows-1256: Arabic
   servers default to them, and every byte ≥ 0x80 in such a page is really an Arabic letter.
4. charset-normalizer, restricted to the encodings Arabic pages use (utf-8, cp1256,
   iso-8859-6), accepted only when the result reads as Arabic.
5. For pages that are not Arabic at all (a mislabelled or unlabelled European page), a
   declared Latin label, then charset-normalizer's full detection.
Whatever is chosen must pass the mojibake check, else EncodingError.
"""

from __future__ import annotations

import codecs
import logging
import re

logger = logging.getLogger(__name__)

__all__ = ["EncodingError", "decode_html", "decode_text"]


class EncodingError(ValueError):
    """The bytes cannot be decoded to clean Arabic text."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def has_bom(data: bytes) -> bool:
    """Whether ``data`` opens with a Unicode byte-order mark (UTF-8, -16 or -32)."""
    return data.startswith(tuple(bom for bom, _ in _BOMS))


_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_LATIN = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
# UTF-8 Arabic read as Latin-1/cp1252: lead bytes D8–DB show as Ø Ù Ú Û, continuation bytes
# 80–BF as C1 controls, punctuation or Latin-1 symbols ("Ø§Ù„" is "ال").
_MOJIBAKE_LATIN = re.compile(
    "[\u00d8\u00d9\u00da\u00db][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)
# UTF-8 Arabic read as cp1256: lead bytes D8/D9 show as ط ظ, continuation bytes as symbols
# ("ط§ظ„" is "ال"). The Arabic comma, «», NBSP and cp1256's extra letters are left out:
# they legitimately follow ط or ظ.
_MOJIBAKE_1256 = re.compile(
    "[\u0637\u0638][\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u2039\u0152"
    "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u2122\u203a\u0153\u00a2-\u00a9\u00ac-\u00b9"
    "\u00bc-\u00be]"
)
_C1 = re.compile("[\u0080-\u009f]")


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        logger.debug("unknown charset label %r", label)
        return None


def _count(pattern: re.Pattern[str], text: str, width: int = 1, chunk: int = 100_000) -> int:
    """How many times ``pattern`` (whose matches are ``width`` characters) matches in
    ``text``: ``len(findall())`` a chunk at a time, since the list holds an object per
    match (for a 20 MB Arabic text, 880 MB of one-letter strings)."""
    return sum(
        len(pattern.findall(text, start, start + chunk + width - 1))
        for start in range(0, len(text), chunk)
    )


def _mojibake_reason(text: str, *, in_bytes: bool = False) -> str | None:
    """Why ``text`` looks like mis-decoded bytes, or None when it looks clean.
    ``in_bytes``: the text is valid UTF-8, so its U+FFFD were in the bytes as served (the
    site's own damage, which no other decoding repairs): only a page full of them fails."""
    # Cheap searches first: a clean page (nearly all of them) has none of these, and
    # counting every Arabic letter of a 100 KB page is the costly part (bench_crawl).
    if _MOJIBAKE_LATIN.search(text) or _MOJIBAKE_1256.search(text):
        pairs = _count(_MOJIBAKE_LATIN, text, 2) + _count(_MOJIBAKE_1256, text, 2)
        if pairs >= 3 and pairs * 20 >= _count(_ARABIC_LETTER, text):
            return f"{pairs} mojibake sequences such as 'Ø§Ù„' or 'ط§ظ„'"
    replacements = text.count("\ufffd")
    if replacements >= 3 and replacements * (5 if in_bytes else 100) >= len(text) / 10:
        return f"{replacements} U+FFFD replacement characters"
    if _C1.search(text):
        controls = _count(_C1, text)
        if controls >= 3 and controls * 100 >= len(text):
            return f"{controls} C1 control characters"
    return None


def _arabic_share(text: str) -> float:
    """Arabic letters among the non-ASCII characters: near 1 for a correct decode."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if not non_ascii:
        return 0.0
    return _count(_ARABIC_LETTER, text) / non_ascii


_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]*>", re.S | re.I)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _reads_as_arabic(text: str) -> bool:
    """Whether the visible text is mostly Arabic letters. A Latin page decoded as cp1256
    has Arabic "letters" only where its accents were (ä → ن), among many Latin ones."""
    visible = _TAG.sub(" ", text[:200_000])
    arabic = len(_ARABIC_LETTER.findall(visible))
    latin = len(_LATIN_LETTER.findall(visible))
    return arabic >= 20 and arabic >= 0.3 * (arabic + latin)


def _try(body: bytes, encoding: str) -> str | None:
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if _mojibake_reason(text) else text


def _declared(body: bytes, header_encoding: str | None) -> list[str]:
    head = body[:16384]
    labels = [header_encoding]
    labels += [m.decode("ascii", "replace") for m in _XML_ENCODING.findall(head)]
    labels += [m.decode("ascii", "replace") for m in _META_CHARSET.findall(head)]
    found: list[str] = []
    for label in labels:
        name = _canonical(label)
        if name and name not in found:
            found.append(name)
    return found


def _fail(what: str, reason: str) -> EncodingError:
    return EncodingError(f"cannot decode {what} as Arabic text ({reason}); re-save it as UTF-8")


def _nearly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few stray bytes (one Latin-1 "ä" in an ad script of a UTF-8 page),
    with those few replaced. Text in a single-byte code page almost never forms valid
    multi-byte sequences (a cp1256 Arabic letter is a UTF-8 lead byte followed by another
    letter, not a continuation byte), so ten valid sequences a stray byte is UTF-8;
    charset detection on such a page picks mac-roman or cp1250 and garbles every letter."""
    text = body.decode("utf-8", errors="replace")
    stray = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    if valid >= 20 and valid >= 10 * stray and not _mojibake_reason(text):
        return text
    return None


# charset-normalizer's full detection holds some 50 times its input (500 MB for 10 MB of
# French text): it is shown at most this much, cut at a line end, and the whole body is
# then decoded with the charset it found.
_DETECT_BYTES = 1_000_000


def _detect(body: bytes, **options) -> tuple[str, str] | None:
    """charset-normalizer's best reading of ``body`` (text, charset), or None."""
    from charset_normalizer import from_bytes  # deferred: only mislabelled pages get here

    sample = body
    if len(body) > _DETECT_BYTES:
        end = body.rfind(b"\n", 0, _DETECT_BYTES)
        sample = body[: end + 1 if end > _DETECT_BYTES // 2 else _DETECT_BYTES]
    best = from_bytes(sample, **options).best()
    if best is None:
        return None
    name = _canonical(best.encoding) or best.encoding
    if sample is body:
        return str(best), name
    try:
        return body.decode(best.encoding), name
    except (UnicodeDecodeError, LookupError):
        return None


def _decode(body: bytes, declared: list[str], what: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = body.decode(encoding, errors="replace")
            reason = _mojibake_reason(text)
            if reason:
                raise _fail(what, reason)
            return text, encoding.replace("-sig", "")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        reason = _mojibake_reason(text, in_bytes=True)
        if reason:
            # Valid UTF-8 holding mojibake: the text was double-encoded before it reached us.
            raise _fail(what, reason)
        return text, "utf-8"
    text = _nearly_utf8(body)
    if text is not None:
        return text, "utf-8"

    candidates: list[tuple[float, str, str]] = []
    for encoding in declared:
        tried = ["cp1256", encoding] if encoding in _LATIN else [encoding]
        for name in tried:
            text = _try(body, name)
            if text is None:
                continue
            share = _arabic_share(text)
            if name == "cp1256" and encoding in _LATIN and not _reads_as_arabic(text):
                # No Arabic there: the Latin label was right (a French or German page,
                # whose few accented letters cp1256 would turn into Arabic ones).
                continue
            candidates.append((share, name, text))
            break
    if candidates:
        # Header and meta disagree: keep the one that reads as Arabic (first one on a tie).
        share, name, text = max(candidates, key=lambda c: c[0])
        if share > 0 or len(candidates) == 1:
            return text, name

    # Arabic code pages first, and only where the bytes read as Arabic: cp1256 maps every
    # byte, so it "decodes" any Latin page too, and must not win without Arabic letters.
    detected = _detect(body, cp_isolation=["utf_8", "cp1256", "iso8859_6"])
    if detected is not None:
        text, name = detected
        if not _mojibake_reason(text) and _reads_as_arabic(text):
            return text, name
    arabic = _try(body, "cp1256")
    if arabic is not None and _reads_as_arabic(arabic):
        return arabic, "cp1256"
    # Not Arabic: whatever the bytes are (a German page in windows-1252, a Polish one in
    # iso-8859-2, a Russian one in koi8-r), charset-normalizer's full detection.
    for declared_name in declared:
        if declared_name not in _LATIN:
            continue
        text = _try(body, declared_name)
        if text is not None:
            return text, declared_name
    detected = _detect(body)
    if detected is not None and not _mojibake_reason(detected[0]):
        return detected
    raise _fail(what, "no declared or detected charset gives clean text")


def decode_html(body: bytes, header_encoding: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; returns (text, encoding used). ``header_encoding`` is the
    charset of the HTTP Content-Type header, if any. Raises EncodingError."""
    return _decode(body, _declared(body, header_encoding), "page")


def decode_text(body: bytes) -> str:
    """Decode a plain-text file (seed articles, corpora). Raises EncodingError."""
    return _decode(body, [], "file")[0]
