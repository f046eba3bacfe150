"""Fidelity on sites we have never seen: one or more tests per failure mode.

Every fixture is a small synthetic page written here, in the markup of a few CMS families
(a WordPress theme of the TieLabs kind, a hand-written PHP news site, a Drupal/Arc-like
one), so a rule that only fits one theme's markup shows up. The Arabic text is our own.
The last tests run the real pages of ../shared/data (skipped where it is absent).
"""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from newsarchive.arabic.bylines import AGENCIES
from newsarchive.arabic.dates import zone_for_host
from newsarchive.arabic.encoding import EncodingError
from newsarchive.extract import ArticleExtractor, explain_file, page_kind
from newsarchive.page import parse_page
from tests.test_extract import HOMEPAGES, PAGES, REAL_PAGES, shared

# Our own article text: a made-up municipal story, six paragraphs (~900 characters).
PARAS = [
    "أعلنت بلدية المدينة الساحلية صباح اليوم عن إطلاق مشروع جديد لتجديد شبكة المياه في "
    "الأحياء القديمة، بعد سنوات من الشكاوى المتكررة من السكان حول الانقطاعات.",
    "وقال رئيس المجلس البلدي في ندوة صحفية إن الأشغال ستنطلق مطلع الشهر المقبل وتستمر قرابة "
    "ثمانية أشهر، على أن تشمل المرحلة الأولى ثلاثة أحياء ذات كثافة سكانية عالية.",
    "وأوضح المسؤول أن الميزانية المخصصة للمشروع تغطي استبدال القنوات المهترئة وتركيب عدادات "
    "حديثة، إضافة إلى بناء خزان احتياطي في أعلى الهضبة المطلة على المدينة.",
    "من جهتهم، رحب ممثلو جمعيات الأحياء بالقرار، لكنهم طالبوا بجدول زمني واضح وبإشراك السكان "
    "في متابعة الأشغال حتى لا تتكرر أخطاء المشاريع السابقة.",
    "ويأتي هذا الإعلان في وقت تشهد فيه المنطقة موجة حر مبكرة رفعت استهلاك المياه إلى مستويات "
    "قياسية، ما دفع مصالح التوزيع إلى اعتماد برنامج تناوب مؤقت.",
    "وختم رئيس المجلس بالتأكيد على أن البلدية ستنشر تقارير شهرية عن تقدم الأشغال على موقعها "
    "الإلكتروني وصفحاتها في شبكات التواصل الاجتماعي.",
]
HEADLINE = "البلدية تطلق مشروعا لتجديد شبكة المياه في الأحياء القديمة"
# Words from the first and last paragraphs, to check the whole body came through.
FIRST_WORDS = "إطلاق مشروع جديد لتجديد شبكة المياه"
LAST_WORDS = "تقارير شهرية عن تقدم الأشغال"

_MONTHS = [
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
]  # fmt: skip
_WEEKDAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]


def in_words(day: date, weekday: bool = True) -> str:
    """ "الخميس 26 نوفمبر 2026", as a theme prints it."""
    text = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def paragraphs(paras=PARAS, klass: str = "") -> str:
    attr = f' class="{klass}"' if klass else ""
    return "".join(f"<p{attr}>{p}</p>" for p in paras)


def html_doc(head: str = "", body: str = "", body_attrs: str = "", charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="{charset}">{head}'
        f"</head><body {body_attrs}>{body}</body></html>"
    )


# --- three CMS families -----------------------------------------------------------------


def wp_tielabs(
    *,
    title: str = HEADLINE,
    meta_line: str = "",
    paras=PARAS,
    head: str = "",
    top_bar: str = "",
    after: str = "",
    byline: str = "",
    body_classes: str = "post-template-default single single-post postid-4521 "
    "single-format-standard tie-js",
) -> str:
    """A WordPress post in a TieLabs-like theme (Jannah/Sahifa family)."""
    return html_doc(
        f"<title>{title} - النبأ اليومي</title>{head}",
        '<div id="tie-container" class="site tie-container"><div id="tie-wrapper">'
        '<header id="theme-header" class="theme-header header-layout-3">'
        '<nav id="top-nav" class="top-nav header-nav"><div class="container">'
        f'<div class="topbar-today-date tie-icon">{top_bar}</div>'
        '<ul class="menu"><li><a href="/contact/">اتصل بنا</a></li></ul></div></nav>'
        '<div class="logo-row"><a href="/"><img src="/logo.png" alt="النبأ اليومي"></a></div>'
        "</header>"
        '<div id="content" class="site-content container"><div class="main-content">'
        '<article id="the-post" class="container-wrapper post-content tie-standard">'
        '<header class="entry-header-outer"><nav id="breadcrumb"><a href="/">الرئيسية</a>'
        '</nav><div class="entry-header">'
        f'<h1 class="post-title entry-title">{title}</h1>'
        f'<div class="post-meta clearfix">{byline}{meta_line}</div></div></header>'
        f'<div class="entry-content entry clearfix">{paragraphs(paras)}</div></article>'
        f"{after}</div></div></div></div>",
        f'class="{body_classes}"',
    )


def php_news(
    *,
    title: str = HEADLINE,
    meta_line: str = "",
    paras=PARAS,
    head: str = "",
    top_bar: str = "",
    today_span: str = "",
    after: str = "",
    sidebar: str = "",
    byline: str = "",
) -> str:
    """A hand-written PHP news site: divs everywhere, no <article>, no <header>."""
    top = f'<div class="top-bar"><div class="container">{top_bar}</div></div>' if top_bar else ""
    logo = (
        '<div id="site-top" class="logo-area"><a href="/"><img src="/images/logo.gif" '
        f'alt="الخبر اليومي"></a><span class="today-date">{today_span}</span></div>'
    )
    return html_doc(
        f"<title>{title}</title>{head}",
        f'<div id="wrapper">{top}{logo}'
        '<div class="menu-bar"><a href="/section/politics">سياسة</a> '
        '<a href="/section/economy">اقتصاد</a></div>'
        f'<div class="row">{sidebar}<div class="col-md-8"><div class="news-details">'
        f'<h1 class="news-title">{title}</h1>'
        f'<div class="news-info">{byline}{meta_line}</div>'
        f'<div class="news-body">{paragraphs(paras)}</div></div>{after}</div></div>'
        '<div class="copyright">جميع الحقوق محفوظة © 2024</div></div>',
    )


def flat_php(
    *,
    title: str = HEADLINE,
    meta_line: str = "",
    paras=PARAS,
    head: str = "",
    top_bar: str = "",
    sidebar: str = "",
) -> str:
    """An older custom-PHP layout: grid columns only, no class that names the article, so
    the headline's nearest container is the whole page wrapper (top bar and sidebar too)."""
    return html_doc(
        f"<title>{title}</title>{head}",
        f'<div id="wrapper"><div class="top-bar"><span class="today-date">{top_bar}</span></div>'
        f'<div class="row">{sidebar}<div class="col-md-8"><h1>{title}</h1>'
        f'<div class="info">{meta_line}</div><div class="txt">{paragraphs(paras)}</div></div>'
        "</div></div>",
    )


def drupal_node(
    *,
    title: str = HEADLINE,
    meta_line: str = "",
    paras=PARAS,
    head: str = "",
    after: str = "",
    byline: str = "",
) -> str:
    """A Drupal node page with Arc-like component classes."""
    return html_doc(
        f"<title>{title} | الرائد</title>{head}",
        '<div class="dialog-off-canvas-main-canvas"><div class="layout-container">'
        '<main role="main"><div class="region region-content">'
        '<article role="article" class="node node--type-article node--view-mode-full">'
        f'<h1 class="b-headline"><span class="field field--name-title">{title}</span></h1>'
        f'<div class="ts-byline">{byline}</div><div class="c-date">{meta_line}</div>'
        '<div class="field field--name-body field--type-text-with-summary b-article-body">'
        f"{paragraphs(paras, 'c-paragraph')}</div></article>{after}</div></main></div></div>",
        'class="path-node page-node-type-article"',
    )


def decided(html: str | bytes, url: str, extractor: ArticleExtractor | None = None, **kw):
    return (extractor or ArticleExtractor()).extract_decided(html, url, **kw)


def article_of(html: str | bytes, url: str, **kw):
    article, decision = decided(html, url, **kw)
    assert decision.is_article, decision.signals
    assert article is not None
    return article


# --- 1. today's date in the top bar -----------------------------------------------------


def _today_pages():
    today = in_words(date.today())
    dated = '<span class="date meta-item tie-icon">4 مارس 2024</span>'
    yield "tielabs-header", wp_tielabs(top_bar=today, meta_line=dated)
    yield "php-top-bar", php_news(top_bar=today, meta_line='<span class="date">4 مارس 2024</span>')
    # No <header> element: a span in the logo row prints the day.
    yield (
        "php-today-span",
        php_news(today_span=today, meta_line='<span class="post-date">4 مارس 2024</span>'),
    )
    yield "flat-php", flat_php(top_bar=today, meta_line='<span class="date">4 مارس 2024</span>')
    yield (
        "drupal",
        drupal_node(meta_line="4 مارس 2024").replace(
            '<div class="layout-container">',
            f'<div class="layout-container"><header role="banner"><div class="site-date">{today}'
            "</div></header>",
        ),
    )


@pytest.mark.parametrize(("name", "html"), list(_today_pages()), ids=lambda v: v[:20])
def test_todays_date_in_top_bar_is_not_published(name, html):
    for url in ("https://www.example.com/news/renewal-of-the-water-network/", "file:///x.html"):
        article = article_of(html, url)
        assert article.published is not None, name
        assert article.published[:10] == "2024-03-04", (name, article.page.signals["fields"])
        assert article.published.startswith("2024-03-04T00:00:00")


# --- 2. og:type website on a real article -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/news/48213",
        "https://www.example.com/article.php?id=48213",
        "https://www.example.com/news/renewal-of-the-water-network",
    ],
)
def test_og_type_website_alone_does_not_refuse_an_article(url):
    head = (
        '<meta property="og:type" content="website">'
        f'<meta property="og:title" content="{HEADLINE}">'
    )
    html = php_news(head=head, meta_line='<span class="date">4 مارس 2024</span>')
    article, decision = decided(html, url)
    assert decision.is_article, decision.signals
    assert decision.kind == "article"
    assert article is not None
    assert FIRST_WORDS in article.text and LAST_WORDS in article.text


# --- 3. a "related stories" strip of <article> teasers -----------------------------------

RELATED = [
    ("افتتاح مكتبة بلدية جديدة في حي الزيتون وسط إقبال كبير", "استقبلت المكتبة زوارها الأوائل."),
    ("مجلس الولاية يصادق على ميزانية النقل الحضري للسنة المقبلة", "صادق المجلس بالأغلبية."),
    ("انطلاق حملة تشجير واسعة على طول الطريق الساحلي الجديد", "شارك فيها مئات المتطوعين."),
    ("تلاميذ المدارس الابتدائية يزورون محطة معالجة المياه", "زيارة تعليمية نظمتها المديرية."),
    ("تمديد ساعات عمل الحافلات خلال فصل الصيف في المدينة", "قرار يبدأ تطبيقه الأسبوع المقبل."),
    ("سوق جوارية جديدة تفتح أبوابها أمام التجار الشباب قريبا", "خصصت البلدية مئة محل تجاري."),
    ("إعادة تأهيل الملعب البلدي قبل انطلاق البطولة المحلية", "أشغال تشمل العشب والمدرجات."),
]


def _related(kind: str) -> str:
    if kind == "tielabs":
        items = "".join(
            f'<article class="related-item post"><a href="/news/{i}/" class="post-thumb">'
            f'<img src="/img/{i}.jpg" alt=""></a><h3 class="post-title"><a href="/news/{i}/">'
            f'{t}</a></h3><div class="post-meta"><span class="date">3 مارس 2024</span></div>'
            f"<p>{x}</p></article>"
            for i, (t, x) in enumerate(RELATED)
        )
        return (
            '<div id="related-posts" class="container-wrapper"><h3>مقالات ذات صلة</h3>'
            f"{items}</div>"
        )
    items = "".join(
        f'<article class="node node--view-mode-teaser"><h2 class="c-heading">'
        f'<a href="/ar/node/{900 + i}">{t}</a></h2><div class="c-summary"><p>{x}</p></div>'
        "</article>"
        for i, (t, x) in enumerate(RELATED)
    )
    return f'<section class="more-stories"><h2>اقرأ أيضا</h2>{items}</section>'


@pytest.mark.parametrize(
    ("family", "url"),
    [
        ("tielabs", "https://www.example.com/news/renewal-of-the-water-network/"),
        ("drupal", "https://www.example.com/ar/node/4521"),
    ],
)
def test_related_stories_strip_keeps_article_and_excludes_teasers(family, url):
    build = wp_tielabs if family == "tielabs" else drupal_node
    head = '<meta property="og:type" content="article">'
    html = build(head=head, after=_related(family), meta_line="4 مارس 2024")
    article, decision = decided(html, url)
    assert decision.is_article, decision.signals
    assert article is not None
    assert FIRST_WORDS in article.text and LAST_WORDS in article.text
    for teaser, excerpt in RELATED:
        assert teaser not in article.text
        assert excerpt not in article.text
    assert article.published[:10] == "2024-03-04"


# --- 4. WordPress static pages ----------------------------------------------------------

ABOUT = [
    "النبأ اليومي جريدة إلكترونية مستقلة تأسست لتقديم الأخبار المحلية والوطنية بدقة وحياد، "
    "ويعمل فيها فريق من الصحفيين والمراسلين في مختلف المدن.",
    "نلتزم بميثاق أخلاقيات المهنة ونصحح أخطاءنا علنا، ونفصل بين الخبر والرأي، ونستقبل "
    "ملاحظات القراء عبر البريد الإلكتروني ووسائل التواصل الاجتماعي.",
    "للتواصل مع هيئة التحرير أو للإعلان في الموقع يمكنكم مراسلتنا عبر الاستمارة أدناه أو "
    "الاتصال بمقر الجريدة خلال أيام العمل من الأحد إلى الخميس.",
    "يقع مقر الجريدة في وسط المدينة بالقرب من ساحة البريد المركزي، ويستقبل الزوار بموعد مسبق "
    "من الساعة التاسعة صباحا إلى الرابعة مساء.",
]
PRIVACY = [
    "نحترم خصوصية زوار موقعنا، وتشرح هذه الصفحة البيانات التي نجمعها عند تصفحكم للموقع "
    "وكيفية استخدامها وحمايتها.",
    "نجمع بيانات التصفح المجهولة مثل نوع المتصفح والصفحات التي تمت زيارتها لتحسين الخدمة، "
    "ولا نبيع أي بيانات شخصية لأطراف أخرى تحت أي ظرف.",
    "يستخدم الموقع ملفات تعريف الارتباط لتذكر تفضيلاتكم، ويمكنكم تعطيلها من إعدادات المتصفح "
    "دون أن يمنعكم ذلك من قراءة الأخبار.",
    "قد نعدل هذه السياسة من وقت لآخر، وننشر كل تعديل في هذه الصفحة مع تاريخ آخر مراجعة له "
    "حتى يبقى القراء على علم بالتغييرات.",
]


@pytest.mark.parametrize(
    ("title", "paras", "url"),
    [
        ("من نحن", ABOUT, "https://www.example.com/who-we-are/"),
        ("سياسة الخصوصية", PRIVACY, "https://www.example.com/privacy-policy/"),
        (
            "اتصل بنا",
            ABOUT[2:] + ABOUT[:2],
            "https://www.example.com/%D8%AA%D9%88%D8%A7%D8%B5%D9%84/",
        ),
    ],
)
def test_wordpress_static_page_is_static(title, paras, url):
    head = (
        '<meta property="og:type" content="article">'
        '<script type="application/ld+json">{"@context":"https://schema.org","@graph":'
        '[{"@type":"WebPage","name":"x"},{"@type":"WebSite","name":"النبأ اليومي"}]}</script>'
    )
    html = wp_tielabs(
        title=title,
        paras=paras,
        head=head,
        body_classes="page-template-default page page-id-12 tie-js",
    )
    article, decision = decided(html, url)
    assert not decision.is_article, decision.signals
    assert decision.kind == "static"
    assert article is None
    assert page_kind(html, url) == "static"


# --- 5. listings of a site without WordPress body classes -------------------------------

TEASERS = [
    "الحكومة تعلن عن خطة جديدة لدعم المؤسسات الصغيرة والمتوسطة",
    "ارتفاع أسعار الخضر في الأسواق مع بداية موسم الحر",
    "البنك المركزي يبقي على سعر الفائدة دون تغيير للمرة الثالثة",
    "افتتاح معرض الكتاب الدولي بمشاركة أكثر من مئتي دار نشر",
    "منتخب الشبان يتأهل إلى نهائي البطولة الإقليمية بعد فوز صعب",
    "وزارة الصحة تطلق حملة تلقيح موسمية في المدارس والجامعات",
    "تساقط أمطار غزيرة على المناطق الشمالية وتحذيرات من السيول",
    "توقيع اتفاقية تعاون لتطوير الطاقة الشمسية في الجنوب",
    "إطلاق خط جوي جديد يربط العاصمة بثلاث مدن إفريقية",
    "جامعة المدينة تحتفل بتخرج دفعة جديدة من الأطباء",
    "مهرجان المسرح المحترف يكشف عن برنامج دورته المقبلة",
    "المصدرون يطالبون بتبسيط إجراءات الجمارك في الموانئ",
]


def php_listing(title: str) -> str:
    items = "".join(
        f'<div class="news-item"><a href="/news/{5000 + i}"><img src="/img/{i}.jpg" alt=""></a>'
        f'<h3><a href="/news/{5000 + i}">{t}</a></h3><span class="date">12 مارس 2024</span>'
        f"<p>{t[:40]}...</p></div>"
        for i, t in enumerate(TEASERS)
    )
    return html_doc(
        f"<title>{title} - الخبر اليومي</title>",
        '<div id="wrapper"><div class="top-bar">الثلاثاء 12 مارس 2024</div>'
        '<div class="menu-bar"><a href="/section/economy">اقتصاد</a> '
        '<a href="/section/sport">رياضة</a></div>'
        f'<div class="col-md-8"><h1 class="page-title">{title}</h1>'
        f'<div class="news-list">{items}</div>'
        '<div class="pagination"><a href="?page=2">التالي</a></div></div></div>',
    )


def arc_listing(title: str) -> str:
    items = "".join(
        f'<article class="c-story-card"><a href="/2024/03/12/story-{i}/"><img src="/i{i}.jpg" '
        f'alt=""></a><h2 class="c-heading"><a href="/2024/03/12/story-{i}/">{t}</a></h2>'
        f'<p class="c-description">{t[:50]}</p><time datetime="2024-03-12T10:00:00Z">'
        "12 مارس 2024</time></article>"
        for i, t in enumerate(TEASERS)
    )
    return html_doc(
        f'<title>{title} | الرائد</title><meta property="og:type" content="website">',
        f'<main><h1 class="b-section-title">{title}</h1><div class="b-results-list">{items}'
        "</div></main>",
    )


@pytest.mark.parametrize("build", [php_listing, arc_listing])
@pytest.mark.parametrize(
    ("title", "url"),
    [
        ("اقتصاد", "https://www.example.com/section/economy"),
        ("وسم: الطاقة", "https://www.example.com/tag/energy"),
        ("مقالات الكاتب أحمد", "https://www.example.com/writer/ahmed"),
        ("الرئيسية", "https://www.example.com/"),
    ],
)
def test_non_wordpress_listings_are_listings(build, title, url):
    html = build(title)
    article, decision = decided(html, url)
    assert not decision.is_article, decision.signals
    assert decision.kind == "listing", decision.signals
    assert article is None


def test_listing_without_telling_url_is_still_a_listing():
    """The page's shape alone (a wall of teasers) says listing, wherever it lives."""
    html = php_listing("أخبار محلية")
    article, decision = decided(html, "https://www.example.com/local-news.php")
    assert not decision.is_article, decision.signals
    assert decision.kind == "listing"


def _div_article(links: int, paras=PARAS * 3) -> str:
    """An article set in <div>s and <br>s (no <p>), between a tag cloud and a list of
    related-story links that are not in headings."""
    text = "<br><br>".join(paras)
    related = "".join(
        f'<div class="rel"><a href="/news/{6000 + i}">{TEASERS[i % len(TEASERS)]}</a></div>'
        for i in range(links)
    )
    return html_doc(
        f"<title>{HEADLINE}</title>",
        f'<div class="page"><h1>{HEADLINE}</h1><div class="txt">{text}</div>'
        f'<div class="more">{related}</div></div>',
    )


def test_article_in_divs_among_many_headline_links_is_an_article():
    """Forty-eight headline links (a "hub" by count) but the extracted text is the
    page's own, not the headlines: an article."""
    article, decision = decided(_div_article(48), "https://www.example.com/magazin/water-network")
    assert decision.is_article, decision.signals
    assert FIRST_WORDS in article.text


def test_short_item_amid_headline_links_is_an_article():
    """A brief (four paragraphs) on a page of twenty-two headline links, none of which is
    in its text: the links weigh less, and the URL's slug decides."""
    html = _div_article(22, PARAS[:4])
    article, decision = decided(html, "https://www.example.com/news/water-network-plan-417452")
    assert decision.is_article, decision.signals
    assert FIRST_WORDS in article.text


def test_bare_headline_links_with_excerpts_are_still_a_listing():
    """The same count of headline links where the extracted text is the headlines and
    their excerpts: a listing."""
    items = "".join(
        f'<div class="item"><a href="/news/{7000 + i}">{TEASERS[i % len(TEASERS)]} {i}</a>'
        f"<div>{PARAS[i % len(PARAS)][:90]}</div></div>"
        for i in range(48)
    )
    html = html_doc("<title>أخبار</title>", f'<div class="list">{items}</div>')
    article, decision = decided(html, "https://www.example.com/local-news.php")
    assert not decision.is_article, decision.signals


def test_small_site_front_page_that_is_its_one_text_is_kept():
    """A front page with a block of text and almost no headline links (a one-page site)
    is not a news front page."""
    html = html_doc(f"<title>{HEADLINE}</title>", f"<main><h1>{HEADLINE}</h1>{paragraphs()}</main>")
    article, decision = decided(html, "https://www.example.com/")
    assert decision.is_article, decision.signals


# --- 6. control characters, 7. HTML comments --------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x01", "\x0c", "\x1f"])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_control_character_in_a_paragraph(char, as_bytes):
    paras = list(PARAS)
    paras[2] = f"وأوضح المسؤول أن الميزانية{char} المخصصة للمشروع تغطي استبدال القنوات المهترئة."
    html = drupal_node(paras=paras, meta_line="4 مارس 2024")
    body = html.encode("utf-8") if as_bytes else html
    article = article_of(body, "https://www.example.com/ar/node/4521")
    assert FIRST_WORDS in article.text and LAST_WORDS in article.text
    assert "الميزانية" in article.text and "المخصصة للمشروع" in article.text
    assert char not in article.text


@pytest.mark.parametrize(
    "comment",
    [
        "<!-- ad slot 300x250 -->",
        "<!--[if lt IE 9]><span>old</span><![endif]-->",
        "<!-- <p>a commented-out paragraph</p> -->",
    ],
)
def test_html_comment_inside_a_paragraph(comment):
    paras = list(PARAS)
    paras[1] = (
        f"وقال رئيس المجلس البلدي في ندوة صحفية{comment} إن الأشغال ستنطلق مطلع الشهر المقبل."
    )
    html = php_news(paras=paras, meta_line='<span class="date">4 مارس 2024</span>')
    article = article_of(html, "https://www.example.com/news/48213")
    assert "في ندوة صحفية" in article.text
    assert "إن الأشغال ستنطلق مطلع الشهر المقبل" in article.text
    assert "ad slot" not in article.text and "commented-out" not in article.text


# --- 8. the site's name in titles -------------------------------------------------------


def test_site_name_before_title_with_og_site_name():
    head = (
        '<meta property="og:site_name" content="جريدة الخبر">'
        f'<meta property="og:title" content="جريدة الخبر - {HEADLINE}">'
    )
    html = php_news(head=head, meta_line="4 مارس 2024").replace(
        f"<title>{HEADLINE}</title>", f"<title>جريدة الخبر - {HEADLINE}</title>"
    )
    # No <h1> match to lean on: the headline on the page is shorter than the title.
    html = html.replace(f'<h1 class="news-title">{HEADLINE}</h1>', "<h1>أخبار محلية</h1>")
    article = article_of(html, "https://www.example.com/news/48213")
    assert article.title == HEADLINE


def test_site_name_before_title_without_og_site_name_uses_h1():
    head = f'<meta property="og:title" content="جريدة الخبر - {HEADLINE}">'
    html = php_news(head=head, meta_line="4 مارس 2024").replace(
        f"<title>{HEADLINE}</title>", f"<title>جريدة الخبر - {HEADLINE}</title>"
    )
    article = article_of(html, "https://www.example.com/news/48213")
    assert article.title == HEADLINE


def test_site_name_after_title_learned_across_pages():
    headlines = [
        "افتتاح مكتبة بلدية جديدة في حي الزيتون",
        "مجلس الولاية يصادق على ميزانية النقل الحضري",
        "انطلاق حملة تشجير واسعة على الطريق الساحلي",
    ]

    def nabaa(title: str, h1: str) -> str:
        head = f'<meta property="og:title" content="{title} | موقع النبأ">'
        return drupal_node(title=h1, head=head, meta_line="4 مارس 2024").replace(
            f"<title>{h1} | الرائد</title>", f"<title>{title} | موقع النبأ</title>"
        )

    fourth = nabaa(HEADLINE, "خبر محلي")  # the <h1> is not the headline
    url = "https://www.example.com/ar/node/{}"
    # A fresh extractor cannot know "موقع النبأ" is the site: it keeps the title as given.
    alone = article_of(fourth, url.format(4))
    assert alone.title == f"{HEADLINE} | موقع النبأ"

    extractor = ArticleExtractor("nabaa")
    for n, headline in enumerate(headlines):
        article, decision = decided(nabaa(headline, headline), url.format(n), extractor)
        assert article is not None and article.title == headline
    article, decision = decided(fourth, url.format(4), extractor)
    assert decision.is_article
    assert article.title == HEADLINE


# --- 9. "last updated" before "published" -----------------------------------------------


@pytest.mark.parametrize("family", ["tielabs", "php", "drupal"])
def test_update_line_before_publication_line(family):
    line = (
        '<span class="updated">آخر تحديث: 14 مارس 2024 10:00</span> '
        '<span class="published">نشر في: 12 مارس 2024 09:00</span>'
    )
    build = {"tielabs": wp_tielabs, "php": php_news, "drupal": drupal_node}[family]
    article = article_of(build(meta_line=line), "https://www.example.com/news/water-network-plan")
    assert article.published == "2024-03-12T09:00:00", article.page.signals["fields"]["dates"]
    assert article.modified == "2024-03-14T10:00:00"


def test_update_and_publication_in_one_text_line():
    line = "آخر تحديث: 14 مارس 2024 10:00 | نشر في: 12 مارس 2024 09:00"
    article = article_of(php_news(meta_line=line), "https://www.example.dz/news/48213")
    assert article.published == "2024-03-12T09:00:00+01:00"
    assert article.modified == "2024-03-14T10:00:00+01:00"


# --- 10. bylines that are not people, and agencies --------------------------------------


def _with_meta_author(byline: str, **kw) -> str:
    return php_news(head=f'<meta name="author" content="{byline}">', meta_line="4 مارس 2024", **kw)


@pytest.mark.parametrize(
    ("byline", "agency"),
    [
        ("وكالة الأنباء الجزائرية", "وأج"),
        ("القاهرة - البيان", None),
        ("أبوظبي - البيان", None),
        ("Logo Png", None),
        ("logo.png", None),
        ("الخبر اليومي", None),  # the site's own name (og:site_name)
    ],
)
def test_byline_that_is_not_a_person(byline, agency):
    head = (
        '<meta property="og:site_name" content="الخبر اليومي">'
        f'<meta name="author" content="{byline}">'
    )
    html = php_news(head=head, meta_line="4 مارس 2024")
    article = article_of(html, "https://www.example.com/news/48213")
    assert article.author is None, article.page.signals["fields"].get("author")
    assert article.agency == agency
    if agency:
        assert agency in AGENCIES


def test_byline_that_is_not_a_person_in_json_ld_and_visible_byline():
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "datePublished": "2024-03-04T08:00:00+04:00",
        "author": {"@type": "Organization", "name": "أبوظبي - البيان"},
    }
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    byline = '<span class="author-name">Logo Png</span>'
    html = wp_tielabs(head=head, byline=byline)
    article = article_of(html, "https://www.example.com/news/water-network-plan/")
    assert article.author is None
    assert article.published == "2024-03-04T08:00:00+04:00"


@pytest.mark.parametrize(
    ("ld_author", "meta_author", "person"),
    [
        ("أبوظبي - البيان", "سارة المنصوري", "سارة المنصوري"),
        ("أبوظبي - سارة المنصوري", None, "سارة المنصوري"),
        ("وكالة الأنباء الجزائرية", "كريم بن علي", "كريم بن علي"),
    ],
)
def test_real_person_kept_beside_non_person_credit(ld_author, meta_author, person):
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "author": ld_author}
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    if meta_author:
        head += f'<meta name="author" content="{meta_author}">'
    html = drupal_node(head=head, meta_line="4 مارس 2024")
    article = article_of(html, "https://www.example.com/ar/node/4521")
    assert article.author == person


@pytest.mark.parametrize(
    ("lead", "agency"),
    [
        ("الجزائر - (وأج) - ", "وأج"),
        ("الجزائر في 4 مارس 2024 (واج) - ", "وأج"),
        ("الرياض - واس - ", "واس"),
    ],
)
def test_wire_agency_credit_in_text(lead, agency):
    paras = [lead + PARAS[0], *PARAS[1:]]
    html = wp_tielabs(paras=paras, meta_line="4 مارس 2024")
    article = article_of(html, "https://www.example.dz/news/water-network-plan/")
    assert article.agency == agency
    assert agency in AGENCIES
    assert article.author is None


def test_wire_agency_credit_at_the_end():
    paras = [*PARAS[:-1], PARAS[-1] + " (وأج)"]
    article = article_of(
        php_news(paras=paras, meta_line="4 مارس 2024"), "https://www.example.dz/news/48213"
    )
    assert article.agency == "وأج"


# --- 11. offsets: one convention for every channel --------------------------------------


def test_naive_time_on_an_egyptian_site_gets_cairo_offset():
    url = "https://www.example.com.eg/news/48213"
    assert zone_for_host(url) == "Africa/Cairo"
    expected = datetime(2024, 3, 12, 10, 30, tzinfo=ZoneInfo("Africa/Cairo")).isoformat()
    assert expected.endswith("+02:00")
    html = php_news(meta_line='<span class="date">12 مارس 2024 10:30</span>')
    assert article_of(html, url).published == expected


def test_naive_time_on_a_com_site_stays_naive():
    html = php_news(meta_line='<span class="date">12 مارس 2024 10:30</span>')
    article = article_of(html, "https://www.example.com/news/48213")
    assert article.published == "2024-03-12T10:30:00"


def test_json_ld_offset_kept_on_a_com_site():
    ld = {
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "datePublished": "2024-03-12T10:30:00+03:00",
    }
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    html = drupal_node(head=head, meta_line="12 مارس 2024")
    article = article_of(html, "https://www.example.com/ar/node/4521")
    assert article.published == "2024-03-12T10:30:00+03:00"


def test_utc_feed_hint_converted_to_the_sites_zone():
    html = wp_tielabs(meta_line='<span class="date">12 مارس 2024</span>')
    hints = {"published": "2024-03-12T08:30:00+00:00", "modified": "2024-03-13T07:00:00Z"}
    article, decision = ArticleExtractor().extract_decided(
        html, "https://www.example.dz/news/water-network-plan/", hints=hints, found_via="feed"
    )
    assert decision.is_article
    assert article.published == "2024-03-12T09:30:00+01:00"
    assert article.modified == "2024-03-13T08:00:00+01:00"


@pytest.mark.parametrize(
    ("url", "printed"),
    [
        # A .com site (no zone known) whose JSON-LD prints +03:00: the feed's UTC is put
        # into the page's own offset.
        ("https://www.example.com/ar/node/4521", "2024-03-12T11:30:00+03:00"),
        # A .dz site printing its own +01:00.
        ("https://www.example.dz/ar/node/4521", "2024-03-12T09:30:00+01:00"),
    ],
)
def test_same_instant_same_string_whatever_the_channel(url, printed):
    """One page crawled twice, once found in a UTC feed and once not: one instant, one
    string (the page's own offset)."""
    ld = {"@type": "NewsArticle", "headline": HEADLINE, "datePublished": printed}
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    html = drupal_node(head=head)
    from_page = article_of(html, url)
    hinted = article_of(html, url, hints={"published": "2024-03-12T08:30:00+00:00"})
    assert from_page.published == hinted.published == printed


def test_utc_metadata_beside_a_printed_local_time_keeps_the_printed_clock():
    """JSON-LD in UTC, the page printing the same instant at its own clock without an
    offset (a US paper: 16:38 on the 13th is 00:38Z on the 14th): the offset is read from
    the pair, so the day stored is the one the paper printed, and modified follows it."""
    ld = {
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "datePublished": "2024-04-14T00:38:07Z",
        "dateModified": "2024-04-14T02:00:00Z",
    }
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    html = drupal_node(head=head, meta_line="13/04/2024 16:38")
    article = article_of(html, "https://www.example.com/ar/node/4521")
    assert article.published == "2024-04-13T16:38:07-08:00"
    assert article.modified == "2024-04-13T18:00:00-08:00"
    checks = article.page.signals["fields"]["dates"]["checks"]
    assert any("offset -08:00" in c for c in checks), checks


def test_date_printed_in_words_of_another_language_is_found():
    """No date in the markup and one printed in Spanish words: htmldate's text search
    reads it where our Arabic-first rules do not (trafilatura's set is mostly European)."""
    spanish = [p.replace("،", ",") for p in FRENCH]
    html = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Nota</title>'
        '</head><body><div class="nota"><h1>Decomisa la aduana un cargamento</h1>'
        '<div class="info">Jueves 2 de abril de 2020 - 10:15</div>'
        f"{paragraphs(spanish)}</div></body></html>"
    )
    article = article_of(html, "https://www.example.com.mx/republica/decomisa-aduana")
    assert article.published[:10] == "2020-04-02", article.page.signals["fields"]["dates"]


def test_utc_metadata_alone_keeps_utc():
    ld = {"@type": "NewsArticle", "headline": HEADLINE, "datePublished": "2024-04-14T00:38:07Z"}
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    article = article_of(drupal_node(head=head), "https://www.example.com/ar/node/4521")
    assert article.published == "2024-04-14T00:38:07+00:00"


def test_dates_in_the_headline_and_a_photo_caption_are_not_the_publication_date():
    """The headline names the days it reports on and a photo caption dates the photo; the
    date printed on a line of its own under the headline is the article's."""
    title = "نتائج السباقات ليومي 11 و12 مارس 2024"
    caption = '<div class="wp-caption"><img src="/a.jpg" alt="">صورة أرشيفية من 2 مارس 2024</div>'
    html = php_news(title=title, meta_line=f"{caption}<p>14 مارس 2024</p>")
    article = article_of(html, "https://www.example.com/news.php?id=4521")
    assert article.published[:10] == "2024-03-14", article.page.signals["fields"]["dates"]


# --- 12. the URL's date against a sidebar's ---------------------------------------------


def _sidebar(label: str = "box") -> str:
    items = "".join(
        f'<li><a href="/news/{i}">{t}</a> <span class="date">20 يناير 2024</span></li>'
        for i, t in enumerate(TEASERS[:10])
    )
    return f'<div class="col-md-4 {label}"><h4>الأكثر قراءة</h4><ul>{items}</ul></div>'


@pytest.mark.parametrize("label", ["box", "sidebar"])
@pytest.mark.parametrize("build", [php_news, flat_php])
def test_url_date_beats_sidebar_date(build, label):
    url = "https://www.example.com/2023/05/17/water-network-renewal/"
    # The article prints no date of its own; a sidebar (first in the page) prints others'
    # (in flat_php the sidebar is inside the headline's container).
    html = build(sidebar=_sidebar(label))
    article = article_of(html, url)
    assert article.published is not None
    assert article.published[:10] == "2023-05-17", article.page.signals["fields"]["dates"]


@pytest.mark.parametrize("build", [php_news, flat_php])
def test_url_date_agrees_with_printed_date_over_sidebar(build):
    url = "https://www.example.com/2023/05/17/water-network-renewal/"
    html = build(
        sidebar=_sidebar(), meta_line='<span class="date">الأربعاء 17 مايو 2023 - 14:20</span>'
    )
    assert article_of(html, url).published == "2023-05-17T14:20:00"


# --- 13. first paragraph equals the meta description ------------------------------------


@pytest.mark.parametrize("family", ["tielabs", "php", "drupal"])
def test_first_paragraph_equal_to_description_is_kept(family):
    head = (
        f'<meta name="description" content="{PARAS[0]}">'
        f'<meta property="og:description" content="{PARAS[0]}">'
    )
    build = {"tielabs": wp_tielabs, "php": php_news, "drupal": drupal_node}[family]
    article = article_of(
        build(head=head, meta_line="4 مارس 2024"), "https://www.example.com/n/1-2-3"
    )
    assert article.description == PARAS[0]
    assert article.text.split("\n")[0] == PARAS[0]
    assert LAST_WORDS in article.text


# --- 14. spaceless scripts --------------------------------------------------------------

# Our own short Chinese news text (about 300 characters, no spaces between words).
CHINESE = [
    "本市政府今天上午宣布，将在未来八个月内全面更新老城区的供水管网，以解决居民多年来反映的停水问题。",
    "市议会主席在新闻发布会上表示，工程将于下月初正式开工，第一阶段覆盖三个人口密集的街区，"
    "预计今年年底前完成主要管道的更换工作。",
    "他说，项目预算包括更换老化管道、安装新型水表以及在城市高处修建一座备用水库，"
    "以便在用水高峰期保障稳定供应。",
    "多个社区协会对这一决定表示欢迎，同时希望政府公布清晰的时间表，并邀请居民代表参与工程监督，"
    "避免以往项目中出现的延误和浪费。",
    "市政府承诺每月在官方网站和社交媒体上发布工程进展报告，接受市民的监督和建议。",
]
JAPANESE = [
    "市は今朝、旧市街の水道網を八か月かけて全面的に更新すると発表した。住民からは長年、断水への苦情が寄せられていた。",
    "市議会議長は記者会見で、工事は来月初めに始まり、第一段階では人口の多い三つの地区を対象にすると述べた。",
    "予算には老朽化した水道管の交換、新しい水道メーターの設置、高台の予備貯水池の建設が含まれるという。",
    "地域の住民団体はこの決定を歓迎しつつ、明確な工程表の公表と、住民が工事の監視に参加できる仕組みを求めた。",
    "市は毎月、公式サイトで工事の進み具合を報告すると約束した。",
]


@pytest.mark.parametrize(("lang", "paras"), [("zh", CHINESE), ("ja", JAPANESE)])
def test_short_spaceless_article_is_not_refused(lang, paras):
    text = "".join(paras)
    assert 200 <= len(text) <= 400 and len(text.split()) < 25
    html = html_doc(
        f"<title>{paras[0][:12]}</title>",
        f'<div class="news-details"><h1>{paras[0][:16]}</h1><div class="news-body">'
        f"{paragraphs(paras)}</div></div>",
    ).replace('lang="ar" dir="rtl"', f'lang="{lang}"')
    article, decision = decided(html, "https://www.example.com/news/48213")
    assert decision.kind == "article", decision.signals
    assert article is not None
    assert article.language == lang
    assert paras[1] in article.text and paras[-1] in article.text


# --- 15. charsets -----------------------------------------------------------------------

FRENCH = [
    "La municipalité a annoncé ce matin le lancement d'un projet de rénovation du réseau "
    "d'eau potable dans les quartiers anciens, après des années de plaintes répétées.",
    "Selon le président de l'assemblée, les travaux débuteront le mois prochain et dureront "
    "près de huit mois ; la première étape concernera trois quartiers très peuplés.",
    "Le budget prévoit le remplacement des conduites usées, l'installation de compteurs "
    "modernes et la construction d'un réservoir de secours sur les hauteurs de la ville.",
    "Les associations de quartier ont salué la décision, tout en réclamant un calendrier "
    "précis et une participation des habitants au suivi du chantier.",
]
GERMAN = [
    "Die Stadtverwaltung hat heute angekündigt, das Wassernetz in den älteren Vierteln "
    "grundlegend zu erneuern, nachdem Anwohner jahrelang über Ausfälle geklagt hatten.",
    "Laut dem Bürgermeister beginnen die Arbeiten Anfang nächsten Monats und dauern etwa "
    "acht Monate; zunächst werden drei dicht besiedelte Straßenzüge versorgt.",
    "Das Budget umfasst den Austausch maroder Leitungen, moderne Wasserzähler und einen "
    "Reservebehälter auf der Anhöhe über der Stadt, berichtete Frau Müller.",
    "Die Bürgervereine begrüßten die Entscheidung, forderten aber einen verlässlichen "
    "Zeitplan und eine Beteiligung der Bewohner an der Überwachung der Baustelle.",
]


def _latin_page(paras, lang: str, charset: str | None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{paras[0][:30]}</title></head>'
        f'<body><div class="news-details"><h1>{paras[0][:40]}</h1>'
        f'<div class="news-body">{paragraphs(paras)}</div></div></body></html>'
    )


def test_latin1_french_page_decodes_as_latin1():
    body = _latin_page(FRENCH, "fr", "iso-8859-1").encode("iso-8859-1")
    article = article_of(body, "https://www.example.fr/actualites/48213")
    assert "municipalité a annoncé" in article.text
    assert "réservoir de secours" in article.text
    assert not any("\u0600" <= ch <= "\u06ff" for ch in article.text)
    assert article.page.signals  # the record exists
    assert article.language == "fr"


def test_latin1_french_page_with_latin1_header():
    body = _latin_page(FRENCH, "fr", None).encode("iso-8859-1")
    article = article_of(
        body, "https://www.example.fr/actualites/48213", header_encoding="ISO-8859-1"
    )
    assert "précis et une participation" in article.text


def test_windows_1256_arabic_page_declared_latin1_decodes_as_arabic():
    html = php_news(meta_line="4 مارس 2024").replace('charset="utf-8"', 'charset="iso-8859-1"')
    body = html.encode("cp1256")
    article = article_of(body, "https://www.example.com/news/48213")
    assert FIRST_WORDS in article.text and LAST_WORDS in article.text
    assert article.title == HEADLINE
    again = article_of(body, "https://www.example.com/news/48213", header_encoding="iso-8859-1")
    assert again.text == article.text


@pytest.mark.parametrize("where", ["meta", "header"])
@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252"])
def test_declared_latin_german_page_decodes_as_declared(charset, where):
    # NOTE: may fail until newsarchive/arabic/encoding.py stops reading Latin pages as
    # windows-1256 (umlauts map to Arabic letters there); the lead is fixing it.
    meta = charset if where == "meta" else None
    body = _latin_page(GERMAN, "de", meta).encode("cp1252")
    header = charset if where == "header" else None
    article = article_of(body, "https://www.example.de/nachrichten/48213", header_encoding=header)
    assert "Straßenzüge" in article.text
    assert "den älteren Vierteln" in article.text
    assert not any("\u0600" <= ch <= "\u06ff" for ch in article.text)


def test_undeclared_windows_1252_german_page_is_not_refused():
    # NOTE: may fail until newsarchive/arabic/encoding.py handles undeclared non-Arabic
    # single-byte pages (the lead is fixing it); kept as a plain test on purpose.
    body = _latin_page(GERMAN, "de", None).encode("cp1252")
    try:
        article, decision = decided(body, "https://www.example.de/nachrichten/48213")
    except EncodingError as err:  # pragma: no cover - the failure this test guards against
        pytest.fail(f"an undeclared windows-1252 German page was refused: {err}")
    assert decision.is_article, decision.signals
    assert "Straßenzüge" in article.text
    assert "berichtete Frau Müller" in article.text
    assert "Überwachung der Baustelle" in article.text


@pytest.mark.parametrize("lang", ["ar", "de"])
def test_utf8_page_with_one_stray_latin1_byte_is_utf8(lang):
    """One windows-1252 "ä" in an ad script of a UTF-8 page made the bytes invalid UTF-8,
    and charset detection then read the whole page as mac-roman or cp1250."""
    paras = PARAS if lang == "ar" else GERMAN
    html = _latin_page(paras, lang, "utf-8").encode("utf-8")
    body = html.replace(b"</body>", b"<script>/* M\xe4scot */</script></body>")
    article, decision = decided(body, "https://www.example.com/nachrichten/48213")
    assert decision.is_article, decision.signals
    assert (FIRST_WORDS if lang == "ar" else "Straßenzüge") in article.text


# --- the real pages of ../shared/data ---------------------------------------------------


@pytest.mark.parametrize("name", HOMEPAGES)
def test_real_homepages_are_decided_listings(name):
    path = shared(REAL_PAGES / f"{name}.html")
    article, decision = decided(path.read_bytes(), f"https://www.{name}/")
    assert article is None
    assert not decision.is_article
    # The front page is a listing, even when it holds no text of its own (el-massa).
    assert decision.kind == "listing", decision.signals


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("1691196862", "2020-08-24T09:23:13+00:00"),
        ("1784190729", "2020-12-01T02:00:00+03:00"),
        ("1623715966", "2020-06-03T03:01:00+04:00"),
        # akhbarelyom.com prints no offset and .com names no country: stored naive.
        ("1731695567", "2020-10-07T12:09:00"),
    ],
)
def test_real_htmldate_pages_are_decided_articles(name, published):
    path = shared(PAGES / "htmldate" / f"{name}.html")
    body = path.read_bytes()
    # Fetched from its own URL (the page's canonical), and opened as a saved file.
    own_url = parse_page(body, "file:///saved.html").canonical
    assert own_url.startswith("https://")
    for article, decision in (decided(body, own_url), explain_file(path)):
        assert decision.is_article, decision.signals
        assert decision.kind == "article"
        assert article.published == published


def test_real_cnn_arabic_page_is_decided_article():
    base = shared(PAGES / "newspaper4k-cnn-arabic")
    html = (base / "html" / "arabic_article.html").read_bytes()
    meta = json.loads((base / "metadata" / "arabic_article.json").read_text("utf-8"))
    article, decision = decided(html, meta["url"])
    assert decision.is_article, decision.signals
    assert decision.kind == "article"
    assert article.published == "2013-08-28T00:00:00"
    assert article.title == meta["title"]
    article, decision = explain_file(base / "html" / "arabic_article.html")
    assert decision.is_article
    assert article.published == "2013-08-28T00:00:00"
