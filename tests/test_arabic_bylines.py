import pytest

from newsarchive.arabic.bylines import AGENCIES, Credit, agency_in_text, clean_byline, split_credit

APS, REUTERS, AFP = "وأج", "رويترز", "فرانس برس"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Credit prefixes
        ("بقلم: محمد علي", "محمد علي"),
        ("بقلم محمد علي", "محمد علي"),
        ("كتب: سامي حداد", "سامي حداد"),
        ("كتبه سامي حداد", "سامي حداد"),
        ("كتب/ سامي حداد", "سامي حداد"),
        ("إعداد: ليلى بن علي", "ليلى بن علي"),
        ("اعداد - ليلى بن علي", "ليلى بن علي"),
        ("بواسطة أحمد", "أحمد"),
        ("تحرير: كريم", "كريم"),
        ("By John Smith", "John Smith"),
        ("Jean-Pierre Martin", "Jean-Pierre Martin"),  # a hyphen inside a name is no dash
        ("د. سعاد بن يوسف", "د. سعاد بن يوسف"),
        ("رابح. ص", "رابح. ص"),
        ("ســامي حداد", "سامي حداد"),  # tatweel inside a word is decoration
        # Dates and times around the name
        ("بقلم: محمد علي | 15 جانفي 2024", "محمد علي"),
        ("محمد علي - 15/01/2024", "محمد علي"),
        ("محمد علي - 15/01/2024 - 10:30", "محمد علي"),
        ("محمد علي 10:30", "محمد علي"),
        ("محمد علي - الإثنين، 15 جانفي 2024", "محمد علي"),
        ("يوم الجمعة 12 مارس 2024 | سامي حداد", "سامي حداد"),
        ("15 جانفي 2024 | محمد علي", "محمد علي"),  # the date segment first, the name next
        ("  كتب:   سامي    حداد  ", "سامي حداد"),
        # Several people
        ("محمد علي وأحمد سالم", "محمد علي وأحمد سالم"),
        ("محمد علي، أحمد سالم", "محمد علي، أحمد سالم"),
        ("محمد علي, أحمد سالم", "محمد علي، أحمد سالم"),
        # After "|" come the date and the section, never a second author
        ("محمد علي | أخبار وطنية", "محمد علي"),
        # Nobody
        ("15 جانفي 2024", None),
        ("admin", None),
        ("https://example.com/author/x", None),
        ("المحرر", None),
        ("رويترز", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_byline(raw, expected):
    assert clean_byline(raw) == expected


@pytest.mark.parametrize(
    ("raw", "person", "agency", "rejected"),
    [
        # A person and an agency
        ("محمد علي - وأج", "محمد علي", APS, None),
        ("محمد علي (رويترز)", "محمد علي", REUTERS, None),
        ("بقلم: سامي حداد | 12 مارس 2024 | أ ف ب", "سامي حداد", AFP, None),
        # An agency alone, in any of its spellings
        ("رويترز", None, REUTERS, None),
        ("(و.أ.ج)", None, APS, None),
        ("واج", None, APS, None),
        ("وكالة الأنباء الجزائرية", None, APS, None),
        ("APS", None, APS, None),
        ("وكالة رويترز", None, REUTERS, None),
        ("أ.ف.ب", None, AFP, None),
        ("AFP", None, AFP, None),
        ("By Reuters", None, REUTERS, None),
        ("رويترز بتصرف", None, REUTERS, None),
        # Place datelines
        ("الجزائر – واج", None, APS, None),
        ("الجزائر - (وأج)", None, APS, None),
        ("الجزائر في 12 مارس 2024 (وأج)", None, APS, None),
        ("القاهرة - أ ش أ", None, "أ ش أ", None),
        ("القاهرة- أ.ش.أ", None, "أ ش أ", None),
        ("الرياض - واس", None, "واس", None),
        ("عواصم - وكالات", None, "وكالات", None),
        ("القاهرة -", None, None, "place dateline"),
        ("بيروت: ...", None, None, "place dateline"),
        ("الجزائر", None, None, "place dateline"),
        ("أبوظبي - البيان", None, None, "place dateline"),
        ("أبو ظبي - البيان", None, None, "place dateline"),
        ("لندن - «الحياة»", None, None, "place dateline"),
        ("دبي ـ العربية.نت", None, None, "place dateline"),  # a lone tatweel typed as a dash
        ("القاهرة - محمد علي", "محمد علي", None, None),  # two words after a place: a name
        # Organisations and newsroom roles
        ("فريق التحرير", None, None, "organisation"),
        ("هيئة التحرير", None, None, "organisation"),
        ("قسم الأخبار", None, None, "organisation"),
        ("المحرر", None, None, "organisation"),
        ("محرر الموقع", None, None, "organisation"),
        ("بقلم المحرر", None, None, "organisation"),
        ("صحيفة الخبر", None, None, "organisation"),
        ("جريدة النهار", None, None, "organisation"),
        ("قناة الجزيرة", None, None, "organisation"),
        ("وزارة الصحة", None, None, "organisation"),
        ("الشروق أونلاين", None, None, "organisation"),
        ("Sky News Arabia", None, None, "organisation"),
        ("Staff", None, None, "organisation"),
        ("«الحياة»", None, None, "organisation"),
        ("محمد علي - قناة الشروق", "محمد علي", None, None),
        # Image text and file names
        ("Logo Png", None, None, "image text"),
        ("logo.png", None, None, "image text"),
        ("/wp-content/uploads/2024/03/author.jpg", None, None, "image text"),
        ("header.webp", None, None, "image text"),
        ("صورة", None, None, "image text"),
        ("صورة أرشيفية", None, None, "image text"),
        ("Photo", None, None, "image text"),
        ("Image", None, None, "image text"),
        ("icon", None, None, "image text"),
        ("تصوير: أحمد سالم", None, None, "image text"),  # the picture's credit
        ("Photo: AFP", None, None, "image text"),
        # URLs, emails, CMS accounts, dates
        ("https://example.com/author/x", None, None, "URL"),
        ("example.com", None, None, "URL"),
        ("ali@example.com", None, None, "email"),
        ("سامي حداد - sami@example.com", "سامي حداد", None, None),
        ("admin", None, None, "CMS account"),
        ("Administrator", None, None, "CMS account"),
        ("user123", None, None, "CMS account"),
        ("15 جانفي 2024", None, None, "date only"),
        ("الإثنين، 15 جانفي 2024 - 10:30", None, None, "date only"),
        ("منذ ساعتين", None, None, "date only"),
        ("12/03/2024 | 10:30", None, None, "date only"),
    ],
)
def test_split_credit(raw, person, agency, rejected):
    credit = split_credit(raw)
    assert (credit.person, credit.agency, credit.rejected) == (person, agency, rejected)


def test_empty_byline_credits_nobody_and_refuses_nothing():
    assert split_credit(None) == Credit()
    assert split_credit("   ") == Credit()


def test_two_agencies_keep_both_and_the_first_is_the_agency():
    credit = split_credit("رويترز وفرانس برس")
    assert (credit.person, credit.agency, credit.agencies) == (None, REUTERS, (REUTERS, AFP))
    assert split_credit("محمد علي وأحمد سالم").agencies == ()


@pytest.mark.parametrize(
    ("raw", "kwargs"),
    [
        ("البيان", {"site_names": ["البيان"]}),
        ("بيان", {"site_names": ["البيان"]}),  # without ال
        ("البيـــان", {"site_names": ["البيان"]}),  # tatweel
        ("أخبار اليوم", {"site_names": ["اخبار اليوم"]}),  # hamza form
        ("الخبر", {"site_names": ["الخبر"]}),
        ("جريده الخبر", {"site_names": ["جريدة الخبر"]}),  # ة typed as ه
        ("Al Bayan", {"domain": "www.albayan.ae"}),
        ("albayan", {"domain": "www.albayan.ae"}),
        ("www.albayan.ae", {"domain": "albayan.ae"}),
        ("ALBAYAN.AE", {"domain": "https://www.albayan.ae/news/1"}),
        ("akhbarelyom", {"domain": "akhbarelyom.com"}),
        ("Akhbar El Yom", {"domain": "akhbarelyom.com"}),
        ("ahram", {"domain": "english.ahram.org.eg"}),
        ("El Khabar", {"site_names": ["elkhabar"]}),
    ],
)
def test_the_site_own_name_is_never_a_person(raw, kwargs):
    credit = split_credit(raw, **kwargs)
    assert credit.person is None and credit.agency is None
    assert credit.rejected == "site name"


def test_site_name_after_a_place_is_dropped_and_the_site_is_not_an_author_elsewhere():
    credit = split_credit("أبوظبي - البيان", site_names=["البيان"], domain="albayan.ae")
    assert credit == Credit(rejected="place dateline")
    # A subdomain is not the site's name ("english" of english.ahram.org.eg)
    assert split_credit("english", domain="english.ahram.org.eg").person == "english"
    # Another paper's name is only refused when it is known or looks like one
    assert split_credit("محمد علي - البيان", site_names=["البيان"]).person == "محمد علي"


@pytest.mark.parametrize(
    ("display", "alias"),
    [(display, alias) for display, aliases in AGENCIES.items() for alias in (display, *aliases)],
)
def test_every_agency_spelling_gives_its_one_display_form(display, alias):
    assert split_credit(alias).agency == display
    assert split_credit(f"({alias})").agency == display
    assert split_credit(f"سامي حداد - {alias}") == Credit("سامي حداد", display, None, (display,))


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("وأج", APS),
        ("و أ ج", APS),
        ("Anadolu", "الأناضول"),
        ("وكالة الأناضول", "الأناضول"),
        ("أناضول", "الأناضول"),
        ("Associated Press", "أسوشيتد برس"),
        ("أ ب", "أسوشيتد برس"),
        ("د.ب.أ", "د ب أ"),
        ("Xinhua", "شينخوا"),
        ("SPA", "واس"),
        ("WAM", "وام"),
        ("QNA", "قنا"),
        ("KUNA", "كونا"),
        ("Petra", "بترا"),
        ("WAFA", "وفا"),
        ("SANA", "سانا"),
        ("MAP", "لاماب"),
        ("و.م.ع", "لاماب"),
        ("وكالة المغرب العربي للأنباء", "لاماب"),
        ("TAP", "وات"),
        ("تاب", "وات"),
        ("وكالة تونس إفريقيا للأنباء", "وات"),
        ("MENA", "أ ش أ"),
        ("وكالة أنباء الشرق الأوسط", "أ ش أ"),
        ("وكالة الصحافة الفرنسية", AFP),
        ("Sputnik", "سبوتنيك"),
        ("DPA", "د ب أ"),
    ],
)
def test_agency_spellings(raw, display):
    assert split_credit(raw) == Credit(None, display, None, (display,))


def test_agency_display_forms_are_distinct_spellings():
    # No spelling of one agency is a spelling of another: the archive facets by these.
    from newsarchive.arabic.bylines import _key

    seen: dict[str, str] = {}
    for display, aliases in AGENCIES.items():
        for alias in (display, *aliases):
            assert seen.setdefault(_key(alias), display) == display, alias


def test_a_name_that_merely_contains_an_agency_word_is_a_person():
    assert clean_byline("وفاء بن علي") == "وفاء بن علي"  # وفاء, not وفا
    assert clean_byline("سامي بترا حداد") == "سامي بترا حداد"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الجزائر - (وأج) - أعلن وزير الصحة اليوم عن حملة تلقيح.\nوأضاف أن الحملة ستدوم.", APS),
        ("الجزائر في 12 مارس 2024 (وأج) - أعلن الوزير عن حملة.", APS),
        ("(و.أ.ج) - أعلن الوزير عن حملة.", APS),
        ("وهران (واج) - انطلقت حملة التشجير.", APS),
        ("أعلن الوزير عن حملة.\nوأضاف أن الحملة ستدوم أسبوعين (واج)", APS),
        ("أعلن الوزير عن حملة.\nوأضاف أن الحملة ستدوم أسبوعين (رويترز).", REUTERS),
        ("الرياض - واس - أعلنت الوزارة عن موسم جديد.", "واس"),
        ("القاهرة – أ ش أ – قال المتحدث إن الاجتماع انتهى.", "أ ش أ"),
        ("عواصم - وكالات: تواصلت الاحتجاجات.", "وكالات"),
        ("تواصلت الاحتجاجات في المدينة.\nالمصدر: وكالات", "وكالات"),
        ("تواصلت الاحتجاجات في المدينة.\nالمصدر: أ ف ب", AFP),
    ],
)
def test_agency_in_text(text, expected):
    assert agency_in_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "أعلن الوزير عن حملة تلقيح.",
        # An agency mentioned in a sentence is not a credit
        "قال مصدر حكومي لوكالة رويترز إن الاجتماع انتهى.\nوأضاف أن النتائج إيجابية.",
        "نقلت وكالة الأنباء الجزائرية عن الوزير قوله إن الحملة ستدوم.",
        "قال الوزير (رويترز) إن الاجتماع انتهى وإن النتائج إيجابية.",
        # Brackets at the start, but after a sentence rather than a place
        "أعلن الوزير في تصريح للصحافة أمس عن حملة جديدة (واج) - وأضاف",
        # A dash-separated agency only counts after a place
        "محمد علي - رويترز - قال المتحدث إن الاجتماع انتهى.",
        # A bracketed remark that is not an agency
        "الجزائر - (تحديث) - أعلن الوزير.\nوأضاف (في تصريح).",
    ],
)
def test_agency_in_text_is_conservative(text):
    assert agency_in_text(text) is None
