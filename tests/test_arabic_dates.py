from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsarchive.arabic.dates import (
    _COUNTRY_ZONES,
    ALGIERS,
    DateMatch,
    find_date_in_text,
    parse_arabic_date,
    search_dates,
    split_published_modified,
    zone_for_host,
)

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=ALGIERS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Maghreb months, hamza variants, weekday prefixes
        ("15 جانفي 2024", "2024-01-15T00:00:00+01:00"),
        ("الاثنين 15 جانفي 2024", "2024-01-15T00:00:00+01:00"),
        ("الإثنين، 5 فيفري 2024", "2024-02-05T00:00:00+01:00"),
        ("15 أفريل 2024", "2024-04-15T00:00:00+01:00"),
        ("15 افريل 2024", "2024-04-15T00:00:00+01:00"),
        ("1 ماي 2024", "2024-05-01T00:00:00+01:00"),
        ("20 جوان 2024", "2024-06-20T00:00:00+01:00"),
        ("5 جويلية 2024", "2024-07-05T00:00:00+01:00"),
        ("15 أوت 2024", "2024-08-15T00:00:00+01:00"),
        ("15 اوت 2024", "2024-08-15T00:00:00+01:00"),
        ("1 شتنبر 2023", "2023-09-01T00:00:00+01:00"),
        # Levantine months
        ("الخميس 4 تشرين الثاني 2021", "2021-11-04T00:00:00+01:00"),
        ("4 كانون الأول 2021", "2021-12-04T00:00:00+01:00"),
        ("9 شباط 2022", "2022-02-09T00:00:00+01:00"),
        ("21 آذار 2022", "2022-03-21T00:00:00+01:00"),
        ("28 آب 2013", "2013-08-28T00:00:00+01:00"),
        ("3 أيلول 2019", "2019-09-03T00:00:00+01:00"),
        # Egyptian/Gulf months and spelling variants
        ("15 يناير 2024", "2024-01-15T00:00:00+01:00"),
        ("15 إبريل 2024", "2024-04-15T00:00:00+01:00"),
        ("15 أبريل 2024", "2024-04-15T00:00:00+01:00"),
        ("15 مايو 2024", "2024-05-15T00:00:00+01:00"),
        ("15 يونية 2024", "2024-06-15T00:00:00+01:00"),
        ("15 يوليو 2024", "2024-07-15T00:00:00+01:00"),
        ("15 أغسطس 2024", "2024-08-15T00:00:00+01:00"),
        # Dual forms
        ("15 يناير/كانون الثاني 2024", "2024-01-15T00:00:00+01:00"),
        ("3 كانون الثاني (يناير) 2024", "2024-01-03T00:00:00+01:00"),
        ("الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)", "2013-08-28T00:00:00+01:00"),
        # Eastern Arabic and Persian digits
        ("١٥ جانفي ٢٠٢٤", "2024-01-15T00:00:00+01:00"),
        ("۱۵ اوت ۲۰۲۴", "2024-08-15T00:00:00+01:00"),
        # Times
        ("15 جانفي 2024 10:30", "2024-01-15T10:30:00+01:00"),
        ("15 جانفي 2024 ١٠:٣٠ مساءً", "2024-01-15T22:30:00+01:00"),
        ("15 جانفي 2024 على الساعة 10:30 صباحا", "2024-01-15T10:30:00+01:00"),
        ("الأربعاء، 07 أكتوبر 2020 - 12:09 م", "2020-10-07T12:09:00+01:00"),
        ("10:30 | 15/01/2024", "2024-01-15T10:30:00+01:00"),
        # Numeric and ISO forms
        ("15/01/2024", "2024-01-15T00:00:00+01:00"),
        ("15-01-2024", "2024-01-15T00:00:00+01:00"),
        ("2024-01-15", "2024-01-15T00:00:00+01:00"),
        ("2020-06-03T03:01+0400", "2020-06-03T03:01:00+04:00"),
        ("2020-08-24T09:23:13Z", "2020-08-24T09:23:13+00:00"),
        ("2024-01-15T10:30:00.000+01:00", "2024-01-15T10:30:00+01:00"),
        ("January 15, 2024", "2024-01-15T00:00:00+01:00"),
        # Relative forms, against NOW = 2024-03-10 12:00 Algiers
        ("منذ ساعتين", "2024-03-10T10:00:00+01:00"),
        ("منذ 3 ساعات", "2024-03-10T09:00:00+01:00"),
        ("منذ ٣ ساعات", "2024-03-10T09:00:00+01:00"),
        ("منذ ثلاث ساعات", "2024-03-10T09:00:00+01:00"),
        ("منذ دقيقة", "2024-03-10T11:59:00+01:00"),
        ("منذ 20 دقيقة", "2024-03-10T11:40:00+01:00"),
        ("منذ يوم", "2024-03-09T00:00:00+01:00"),
        ("قبل يومين", "2024-03-08T00:00:00+01:00"),
        ("أمس", "2024-03-09T00:00:00+01:00"),
        ("أمس 18:45", "2024-03-09T18:45:00+01:00"),
        ("أول أمس", "2024-03-08T00:00:00+01:00"),
    ],
)
def test_parse_arabic_date(text, expected):
    assert parse_arabic_date(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024",
        "جانفي 2024",
        "يناير 2024",
        "كانون الثاني 2024",
        "31 فيفري 2024",  # no such day
        "منذ دقائق",  # no number: not a point in time
        "اليوم السابع",  # a newspaper's name, not "today"
        "",
        "   ",
        "بدون تاريخ",
    ],
)
def test_incomplete_dates_give_none_not_january_first(text):
    assert parse_arabic_date(text, now=NOW) is None


def test_timezone_parameter_applies_to_naive_dates():
    from zoneinfo import ZoneInfo

    riyadh = ZoneInfo("Asia/Riyadh")
    assert parse_arabic_date("15 يناير 2024 10:00", tz=riyadh) == "2024-01-15T10:00:00+03:00"


def test_find_date_in_text_takes_first_full_date():
    body = "في عام 2023 قال الوزير، يوم الإثنين 15 جانفي 2024، إن المشروع سينتهي في 3/2/2025."
    assert find_date_in_text(body) == "2024-01-15T00:00:00+01:00"
    assert find_date_in_text("صدر في جانفي 2024 ثم أعيد في 2025") is None
    assert find_date_in_text("") is None


# --- published and modified ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("نشر في 12 مارس 2024 - آخر تحديث 14 مارس 2024 10:00", ["published", "modified"]),
        ("آخر تحديث: 14 مارس 2024 | نُشر في: 12 مارس 2024", ["modified", "published"]),
        ("تاريخ النشر: 12/03/2024 - تم التحديث: 14/03/2024", ["published", "modified"]),
        ("منشور 12 مارس 2024، محدث 14 مارس 2024", ["published", "modified"]),
        ("اخر تحديث 14 مارس 2024", ["modified"]),
        ("آخر تعديل: 14 مارس 2024", ["modified"]),
        ("تحديث ١٤ مارس ٢٠٢٤", ["modified"]),
        ("Published March 12, 2024 · Updated March 14, 2024", ["published", "modified"]),
        ("Last updated: 14/03/2024. Posted 12/03/2024", ["modified", "published"]),
        ("Last modified 2024-03-14", ["modified"]),
        ("Publié le 12 mars 2024, mis à jour le 14 mars 2024", ["published", "modified"]),
        ("Mise à jour 14/03/2024", ["modified"]),
        ("actualizado 14/03/2024", ["modified"]),
        ("Veröffentlicht 12.03.2024, aktualisiert 14.03.2024", ["published", "modified"]),
        # No label, or one too far before the date
        ("الثلاثاء 12 مارس 2024", [None]),
        ("12 مارس 2024 - 14 مارس 2024", [None, None]),
        ("آخر تحديث" + " كلام" * 10 + " 14 مارس 2024", [None]),
        # A label belongs to the date after it, not past another date
        ("آخر تحديث 14 مارس 2024 ثم 15 مارس 2024", ["modified", None]),
        # Words that merely contain a label's letters
        ("ينشر الموقع يوم 12 مارس 2024", [None]),
        ("حدث ذلك في 12 مارس 2024", [None]),
    ],
)
def test_date_roles(text, roles):
    assert [m.role for m in search_dates(text)] == roles


def test_roles_survive_tashkeel_offsets():
    text = "نُشِرَ في ١٢ مارس ٢٠٢٤ – آخِرُ تَحْدِيثٍ ١٤ مارس ٢٠٢٤"
    matches = search_dates(text)
    assert [m.role for m in matches] == ["published", "modified"]
    assert text[matches[1].start : matches[1].end] == "١٤ مارس ٢٠٢٤"


def test_date_match_keeps_its_constructor():
    assert DateMatch(0, 5, "2024-03-12T00:00:00+01:00").role is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "نشر في 12 مارس 2024 - آخر تحديث 14 مارس 2024 10:00",
            ("2024-03-12T00:00:00+01:00", "2024-03-14T10:00:00+01:00"),
        ),
        # The update printed BEFORE the publication date
        (
            "آخر تحديث: 14 مارس 2024 10:00 | نشر في: 12 مارس 2024 08:30",
            ("2024-03-12T08:30:00+01:00", "2024-03-14T10:00:00+01:00"),
        ),
        (
            "Updated 14/03/2024 · Published 12/03/2024",
            ("2024-03-12T00:00:00+01:00", "2024-03-14T00:00:00+01:00"),
        ),
        # An unlabelled date is the publication date
        (
            "الثلاثاء 12 مارس 2024 - آخر تحديث 14 مارس 2024",
            ("2024-03-12T00:00:00+01:00", "2024-03-14T00:00:00+01:00"),
        ),
        ("12 مارس 2024", ("2024-03-12T00:00:00+01:00", None)),
        ("آخر تحديث 14 مارس 2024", (None, "2024-03-14T00:00:00+01:00")),
        ("بدون تاريخ", (None, None)),
        ("", (None, None)),
    ],
)
def test_split_published_modified(text, expected):
    assert split_published_modified(text) == expected


def test_split_published_modified_with_a_zone_and_without_one():
    line = "آخر تحديث 14 مارس 2024 10:00 - نشر في 12 مارس 2024 08:30"
    assert split_published_modified(line, tz=ZoneInfo("Asia/Riyadh")) == (
        "2024-03-12T08:30:00+03:00",
        "2024-03-14T10:00:00+03:00",
    )
    assert split_published_modified(line, tz=None) == ("2024-03-12T08:30:00", "2024-03-14T10:00:00")


def test_publication_date_is_not_the_update_printed_first():
    line = "آخر تحديث: 14 مارس 2024 | نشر في: 12 مارس 2024"
    assert find_date_in_text(line) == "2024-03-12T00:00:00+01:00"
    assert parse_arabic_date(line, now=NOW) == "2024-03-12T00:00:00+01:00"
    # With only an update date, it is still the only date there is
    assert parse_arabic_date("آخر تحديث: 14 مارس 2024", now=NOW) == "2024-03-14T00:00:00+01:00"
    # The time before a date belongs to it, not a time that belongs to the update
    assert parse_arabic_date("آخر تحديث 14/03/2024 10:00 | 12/03/2024") == (
        "2024-03-12T00:00:00+01:00"
    )


def test_french_months_in_maghreb_date_lines():
    assert parse_arabic_date("Publié le 1er février 2024 à 10:30") == "2024-02-01T10:30:00+01:00"
    assert parse_arabic_date("15 août 2024") == "2024-08-15T00:00:00+01:00"
    assert parse_arabic_date("mars 2024") is None


# --- unknown offset ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 جانفي 2024", "2024-01-15T00:00:00"),
        ("15 جانفي 2024 10:30", "2024-01-15T10:30:00"),
        ("10:30 | 15/01/2024", "2024-01-15T10:30:00"),
        ("2024-01-15", "2024-01-15T00:00:00"),
        # An offset the text gives is kept
        ("2020-06-03T03:01+0400", "2020-06-03T03:01:00+04:00"),
        ("2020-08-24T09:23:13Z", "2020-08-24T09:23:13+00:00"),
        ("15 جانفي 2024 10:30 GMT+3", "2024-01-15T10:30:00+03:00"),
        ("10:30 (GMT+0400) | 15/01/2024", "2024-01-15T10:30:00+04:00"),
    ],
)
def test_tz_none_leaves_unknown_offsets_unknown(text, expected):
    assert parse_arabic_date(text, tz=None) == expected


def test_tz_none_in_search_and_find():
    body = "الجزائر يوم الإثنين 15 جانفي 2024 على الساعة 10:30 صباحا، أعلن الوزير."
    assert find_date_in_text(body, tz=None) == "2024-01-15T10:30:00"
    assert [m.value for m in search_dates(body, tz=None)] == ["2024-01-15T10:30:00"]
    # The default stays Algiers for existing callers
    assert find_date_in_text(body) == "2024-01-15T10:30:00+01:00"


def test_tz_none_relative_dates():
    naive_now = datetime(2024, 3, 10, 12, 0)
    assert parse_arabic_date("منذ ساعتين", now=naive_now, tz=None) == "2024-03-10T10:00:00"
    assert parse_arabic_date("أمس 18:45", now=naive_now, tz=None) == "2024-03-09T18:45:00"
    # An aware "now" is a known instant in a known zone
    assert parse_arabic_date("منذ ساعتين", now=NOW, tz=None) == "2024-03-10T10:00:00+01:00"
    # Without "now", "two hours ago" is still a known instant (in UTC) ...
    got = datetime.fromisoformat(parse_arabic_date("منذ ساعتين", tz=None))
    assert got.utcoffset() == timedelta(0)
    assert abs(got - (datetime.now(UTC) - timedelta(hours=2))) < timedelta(minutes=1)
    # ... but the calendar day of "yesterday" is local, so it carries no offset
    assert datetime.fromisoformat(parse_arabic_date("أمس", tz=None)).tzinfo is None
    assert datetime.fromisoformat(parse_arabic_date("منذ يومين", tz=None)).tzinfo is None


# --- zones by country ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "zone"),
    [
        ("www.aps.dz", "Africa/Algiers"),
        ("APS.DZ.", "Africa/Algiers"),
        ("www.le360.ma", "Africa/Casablanca"),
        ("example.co.ma", "Africa/Casablanca"),
        ("www.tap.info.tn", "Africa/Tunis"),
        ("alwasat.ly", "Africa/Tripoli"),
        ("www.ahram.org.eg", "Africa/Cairo"),
        ("news.example.com.eg", "Africa/Cairo"),
        ("suna-sd.net", None),
        ("www.spa.gov.sa", "Asia/Riyadh"),
        ("www.albayan.ae", "Asia/Dubai"),
        ("www.qna.org.qa", "Asia/Qatar"),
        ("www.bna.bh", "Asia/Bahrain"),
        ("www.kuna.net.kw", "Asia/Kuwait"),
        ("omannews.gov.om", "Asia/Muscat"),
        ("www.saba.ye", "Asia/Aden"),
        ("www.ina.iq", "Asia/Baghdad"),
        ("sana.sy", "Asia/Damascus"),
        ("www.nna-leb.gov.lb", "Asia/Beirut"),
        ("petra.gov.jo", "Asia/Amman"),
        ("www.wafa.ps", "Asia/Hebron"),
        ("www.ami.mr", "Africa/Nouakchott"),
        ("sonna.so", "Africa/Mogadishu"),
        ("www.adi.dj", "Africa/Djibouti"),
        ("example.km", "Indian/Comoro"),
        ("www.aa.com.tr", "Europe/Istanbul"),
        ("www.irna.ir", "Asia/Tehran"),
        ("www.france24.fr", "Europe/Paris"),
        ("www.bbc.co.uk", "Europe/London"),
        ("https://www.aps.dz/ar/economie/123", "Africa/Algiers"),
        ("www.aps.dz:8080", "Africa/Algiers"),
        ("xn--ngbrx.xn--wgbh1c", "Africa/Cairo"),  # an Arabic IDN country domain (.مصر)
        # Generic or unknown: the offset is unknown
        ("www.echoroukonline.com", None),
        ("akhbarelyom.com", None),
        ("example.net", None),
        ("example.org", None),
        ("example.tv", None),
        ("example.co", None),
        ("localhost", None),
        ("127.0.0.1", None),
        ("", None),
    ],
)
def test_zone_for_host(host, zone):
    assert zone_for_host(host) == zone


@pytest.mark.parametrize("zone", sorted(set(_COUNTRY_ZONES.values())))
def test_every_country_zone_exists(zone):
    assert ZoneInfo(zone).utcoffset(datetime(2024, 1, 15)) is not None
