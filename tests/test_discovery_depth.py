"""An unconfigured daily that runs no WordPress and announces nothing (no feed, no
sitemap, no REST API) is still crawled whole from its front page: its sections are walked
breadth first down to NEWSARCHIVE_DISCOVERY_DEPTH, every page it fetches is decided from
its shape and URL (og:type is "website" everywhere, and there is no JSON-LD), and only the
articles are archived.

The site is built here: a front page linking 5 of its 13 articles and three sections in
its menu; the sport section leads to a sub-section, the only page that links the 13th
article (three links below the front page); writer pages, a "file" (dossier) page, tag
pages and the about, contact and privacy pages hang off the footer and the articles."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest
import sqlite_utils

from tests.crawling import run_crawl, write_sites

NAME = "الأخبار المغاربية"
SECTIONS = {
    "/section/politics": "سياسة",
    "/section/economy": "اقتصاد",
    "/section/sport": "رياضة",
    "/section/sport/world": "رياضة عالمية",
}
WRITERS = {
    "ahmed-benali": ("أحمد بن علي", "صحفي مختص في الشأن السياسي والبرلماني منذ 2009."),
    "samira-haddad": ("سميرة حداد", "صحفية في القسم الاقتصادي، تتابع ملفات المالية والتجارة."),
    "karim-mansouri": ("كريم منصوري", "محرر رياضي يغطي البطولة الوطنية والمنافسات القارية."),
}
TAGS = ["الجزائر", "الاقتصاد-الوطني", "البرلمان", "كرة-القدم"]
DOSSIER = "/dossier/ramadan-2024"
STATIC = ["/about-us", "/contact-us", "/privacy-policy"]

# (path, section, writer, day of March 2024, headline, lede, topic, city, who)
ARTICLES = [
    (
        "/news/2024/03/12/senate-approves-new-investment-law",
        "/section/politics", "ahmed-benali", 12,
        "مجلس الأمة يصادق على مشروع قانون الاستثمار الجديد",
        "صادق أعضاء مجلس الأمة، اليوم الثلاثاء، بالأغلبية على مشروع القانون المتعلق بالاستثمار في جلسة علنية ترأسها رئيس المجلس بحضور أعضاء من الحكومة.",  # noqa: E501
        "قانون الاستثمار", "العاصمة", "وزير المالية",
    ),
    (
        "/article/20231/foreign-minister-receives-tunisian-counterpart",
        "/section/politics", "ahmed-benali", 12,
        "وزير الخارجية يستقبل نظيره التونسي لبحث التعاون الثنائي",
        "استقبل وزير الشؤون الخارجية نظيره التونسي الذي يقوم بزيارة عمل تدوم يومين، وتناول اللقاء سبل تعزيز التعاون الثنائي في مجالات الطاقة والنقل والتجارة الحدودية.",  # noqa: E501
        "التعاون الثنائي", "تبسة", "الناطق باسم الوزارة",
    ),
    (
        "/news/2024/03/11/foreign-exchange-reserves-record-high",
        "/section/economy", "samira-haddad", 11,
        "ارتفاع احتياطي الصرف إلى مستوى قياسي خلال الفصل الأول",
        "كشف محافظ بنك الجزائر أن احتياطي الصرف ارتفع إلى مستوى لم يبلغه منذ سنوات، مدفوعا بتحسن أسعار المحروقات وتراجع فاتورة الواردات خلال الفصل الأول من السنة.",  # noqa: E501
        "تحسن التوازنات المالية", "العاصمة", "محافظ البنك المركزي",
    ),
    (
        "/article/20232/startup-support-plan-interior-provinces",
        "/section/economy", "samira-haddad", 10,
        "الحكومة تعلن خطة لدعم المؤسسات الناشئة في الولايات الداخلية",
        "أعلنت الحكومة عن خطة جديدة لمرافقة المؤسسات الناشئة في الولايات الداخلية والجنوبية، تشمل قروضا بدون فوائد وحاضنات أعمال ومقرات مجهزة بأسعار رمزية.",  # noqa: E501
        "دعم المؤسسات الناشئة", "ورقلة", "وزير اقتصاد المعرفة",
    ),
    (
        "/news/2024/03/12/national-team-wins-friendly-match",
        "/section/sport", "karim-mansouri", 12,
        "المنتخب الوطني يفوز وديا ويواصل تحضيراته للتصفيات",
        "فاز المنتخب الوطني لكرة القدم في مباراة ودية جرت مساء أمس بملعب نيلسون مانديلا، في إطار تحضيراته للجولة المقبلة من تصفيات كأس العالم.",  # noqa: E501
        "تحضير المنتخب", "براقي", "الناخب الوطني",
    ),
    (
        "/news/2024/03/10/parliament-debates-municipal-code",
        "/section/politics", "ahmed-benali", 10,
        "البرلمان يفتح نقاشا حول مشروع قانون البلدية والولاية",
        "شرع نواب المجلس الشعبي الوطني في مناقشة مشروع القانون المتضمن قانون البلدية والولاية، وسط مطالب بتوسيع صلاحيات المنتخبين المحليين وتخفيف الرقابة الإدارية.",  # noqa: E501
        "إصلاح الجماعات المحلية", "البليدة", "رئيس لجنة الشؤون القانونية",
    ),
    (
        "/article/20233/partial-reshuffle-of-provincial-governors",
        "/section/politics", "ahmed-benali", 9,
        "الرئاسة تعلن عن حركة جزئية في سلك الولاة",
        "أجرى رئيس الجمهورية حركة جزئية في سلك الولاة والولاة المنتدبين شملت عددا من الولايات، وفق ما أفاد به بيان لرئاسة الجمهورية نشر مساء اليوم.",  # noqa: E501
        "الحركة في سلك الولاة", "قسنطينة", "مصدر من الرئاسة",
    ),
    (
        "/news/2024/03/09/date-exports-exceed-hundred-million-dollars",
        "/section/economy", "samira-haddad", 9,
        "صادرات التمور تتجاوز مائة مليون دولار لأول مرة",
        "تجاوزت قيمة صادرات التمور عتبة مائة مليون دولار لأول مرة، بفضل فتح أسواق جديدة في آسيا وإفريقيا وتحسين سلسلة التوضيب والتبريد في مناطق الإنتاج.",  # noqa: E501
        "تصدير التمور", "بسكرة", "رئيس جمعية المصدرين",
    ),
    (
        "/article/20234/central-bank-holds-key-interest-rate",
        "/section/economy", "samira-haddad", 8,
        "بنك الجزائر يبقي على سعر الفائدة الرئيسي دون تغيير",
        "قرر مجلس النقد والقرض الإبقاء على سعر الفائدة الرئيسي دون تغيير، معتبرا أن التضخم يواصل تراجعه التدريجي وأن السيولة البنكية في مستوى مريح.",  # noqa: E501
        "السياسة النقدية", "العاصمة", "الأمين العام لمجلس النقد والقرض",
    ),
    (
        "/news/2024/03/08/mouloudia-reaches-cup-semi-final",
        "/section/sport", "karim-mansouri", 8,
        "مولودية الجزائر تتأهل إلى نصف نهائي كأس الجمهورية",
        "تأهل فريق مولودية الجزائر إلى الدور نصف النهائي من منافسة كأس الجمهورية بعد فوزه بركلات الترجيح على مضيفه في مباراة مثيرة امتدت إلى الأشواط الإضافية.",  # noqa: E501
        "مشوار المولودية في الكأس", "سطيف", "مدرب الفريق",
    ),
    (
        "/article/20235/national-athletics-championship-in-oran",
        "/section/sport", "karim-mansouri", 7,
        "انطلاق البطولة الوطنية لألعاب القوى في وهران",
        "انطلقت بالمركب الأولمبي في وهران فعاليات البطولة الوطنية لألعاب القوى بمشاركة أكثر من خمسمائة رياضي ورياضية يمثلون مختلف رابطات الوطن.",  # noqa: E501
        "البطولة الوطنية لألعاب القوى", "وهران", "رئيس الاتحادية",
    ),
    (
        "/news/2024/03/07/annaba-port-container-traffic-rises",
        "/section/economy", "samira-haddad", 7,
        "ميناء عنابة يسجل ارتفاعا في حركة الحاويات",
        "سجل ميناء عنابة ارتفاعا محسوسا في حركة الحاويات خلال الشهرين الأولين من السنة، بعد دخول الرصيف الجديد حيز الخدمة وتقليص مدة انتظار السفن في الخارج.",  # noqa: E501
        "توسعة الميناء", "عنابة", "المدير العام للمؤسسة المينائية",
    ),
    (
        "/news/2024/03/06/real-madrid-draw-leipzig-reach-quarter-finals",
        "/section/sport/world", None, 6,
        "ريال مدريد يتعادل مع لايبزيغ ويتأهل إلى ربع النهائي",
        "تأهل نادي ريال مدريد الإسباني إلى الدور ربع النهائي من دوري أبطال أوروبا بعد تعادله مع ضيفه لايبزيغ الألماني بهدف لمثله في مباراة الإياب على ملعب سانتياغو برنابيو.",  # noqa: E501
        "مشوار الفريق الملكي في المسابقة", "مدريد", "مدرب الفريق",
    ),
]  # fmt: skip
FRONT = [0, 1, 2, 3, 4]  # the only articles the front page links
HIDDEN = 12  # linked only from /section/sport/world
LATEST = [0, 1, 2, 3, 5, 7, 9, 11]  # the "latest news" box of listing pages
SECTION_LISTS = {
    "/section/politics": [0, 1, 5, 6],
    "/section/economy": [2, 3, 7, 8, 11],
    "/section/sport": [4, 9, 10],
    "/section/sport/world": [HIDDEN, 4, 10],
}

SENTENCES = [
    "وأوضح المصدر ذاته أن ملف {topic} يندرج ضمن مسار طويل بدأ منذ سنوات، وأن النتائج الأولى ستظهر خلال الأشهر المقبلة في {city} وعدد من الولايات المجاورة.",  # noqa: E501
    "وأكد {who} في تصريح صحفي أن الملف يحظى بمتابعة دقيقة، مشيرا إلى أن {n} إجراء جديدا سيدخل حيز التنفيذ قبل نهاية السنة الجارية.",  # noqa: E501
    "ويرى متابعون للشأن العام أن {topic} سيكون له أثر مباشر على حياة المواطنين، خاصة في ما يتعلق بالقدرة الشرائية وفرص العمل.",  # noqa: E501
    "وكانت الجهات المعنية قد عقدت سلسلة من الاجتماعات التحضيرية في {city}، شارك فيها ممثلون عن الهيئات المحلية والمجتمع المدني وخبراء من الجامعة.",  # noqa: E501
    "وفي سياق متصل، كشفت الأرقام الرسمية أن عدد المعنيين بلغ نحو {n} ألف شخص، وهو رقم يفوق بكثير ما سجل خلال الفترة نفسها من العام الماضي.",  # noqa: E501
    "من جهة أخرى، دعا {who} إلى ضرورة تسريع وتيرة العمل وتجاوز العراقيل الإدارية التي تعطل تنفيذ المشاريع المبرمجة في {city}.",  # noqa: E501
    "وأشار التقرير إلى أن {topic} يتطلب تنسيقا أكبر بين مختلف القطاعات، إلى جانب تعبئة موارد مالية إضافية لضمان الاستمرارية.",  # noqa: E501
    "وتأتي هذه الخطوة في ظرف يتسم بتحولات عميقة على الصعيدين الإقليمي والدولي، ما يفرض مقاربات جديدة أكثر نجاعة وواقعية.",  # noqa: E501
    "وحسب المعطيات المتوفرة، فإن {n} بالمائة من الأهداف المسطرة قد تحققت إلى حد الآن، في انتظار استكمال المرحلة الثانية من البرنامج.",  # noqa: E501
    "وقد لقي هذا القرار ترحيبا واسعا لدى المهنيين في {city}، الذين اعتبروه استجابة لمطالب رفعوها منذ مدة طويلة.",  # noqa: E501
    "في المقابل، أبدى بعض المختصين تحفظات بشأن آجال التنفيذ، معتبرين أن {topic} يحتاج إلى وقت أطول حتى تظهر نتائجه الفعلية.",  # noqa: E501
    "وختم {who} بالتأكيد على أن الأبواب تبقى مفتوحة أمام كل الاقتراحات البناءة التي من شأنها تحسين الأداء وخدمة الصالح العام.",  # noqa: E501
]


# -- the site --


def paragraphs(number: int) -> list[str]:
    """Five paragraphs of one article, its own words mixed into common news phrasing."""
    _, _, _, _, _, lede, topic, city, who = ARTICLES[number]
    found = []
    for k in range(5):
        picked = [SENTENCES[(number * 5 + k * 3 + j) % len(SENTENCES)] for j in range(3)]
        words = [s.format(topic=topic, city=city, who=who, n=12 + number * 7 + k) for s in picked]
        found.append(" ".join(([lede] if k == 0 else []) + words))
    return found


def excerpt(number: int) -> str:
    lede = ARTICLES[number][5]
    return lede[:90].rsplit(" ", 1)[0] + "…"


def day(number: int) -> str:
    return f"{ARTICLES[number][3]} مارس 2024"


def link(number: int) -> str:
    return f'<a href="{ARTICLES[number][0]}">{escape(ARTICLES[number][4])}</a>'


def layout(base: str, path: str, title: str, main: str, body_class: str = "") -> bytes:
    """A page of the site: header, menu, footer; og:type website on every page."""
    menu = "".join(
        f'<li><a href="{p}">{n}</a></li>' for p, n in SECTIONS.items() if p.count("/") == 2
    )
    writers = "".join(f'<li><a href="/writer/{k}">{n}</a></li>' for k, (n, _) in WRITERS.items())
    tags = "".join(f'<a class="tag" href="/tag/{t}">{t.replace("-", " ")}</a> ' for t in TAGS)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {NAME}</title>
<meta name="description" content="{NAME}: أخبار الجزائر والمغرب العربي والعالم">
<meta property="og:site_name" content="{NAME}">
<meta property="og:type" content="website">
<meta property="og:title" content="{escape(title)}">
<meta property="og:url" content="{base}{path}">
<link rel="canonical" href="{base}{path}">
<link rel="stylesheet" href="/static/css/main.css?v=3.2">
<link rel="icon" href="/static/img/favicon.ico">
</head>
<body class="{body_class}">
<header class="site-header">
  <div class="top-bar"><a href="/contact-us">اتصل بنا</a> | <a href="/about-us">من نحن</a></div>
  <div class="logo"><a href="/"><img src="/static/img/logo.png" alt="{NAME}"></a></div>
  <nav class="main-nav"><ul><li><a href="/">الرئيسية</a></li>{menu}</ul></nav>
</header>
<div class="container">
{main}
</div>
<footer class="site-footer">
  <div class="footer-col"><h5>الجريدة</h5><ul>
    <li><a href="/about-us">من نحن</a></li><li><a href="/contact-us">اتصل بنا</a></li>
    <li><a href="/privacy-policy">سياسة الخصوصية</a></li></ul></div>
  <div class="footer-col"><h5>أقلام</h5><ul>{writers}</ul></div>
  <div class="footer-col"><h5>ملفات</h5><ul><li><a href="{DOSSIER}">رمضان 2024</a></li></ul></div>
  <div class="footer-col"><h5>الأكثر بحثا</h5>{tags}</div>
  <p class="copyright">جميع الحقوق محفوظة © 2024 {NAME}</p>
</footer>
<script src="/static/js/app.js"></script>
</body></html>""".encode()


def teaser(number: int) -> str:
    writer = ARTICLES[number][2]
    credit = f' - <a href="/writer/{writer}">{WRITERS[writer][0]}</a>' if writer else ""
    return f"""<article class="teaser">
  <a href="{ARTICLES[number][0]}"><img src="/static/img/{number}.jpg" alt=""></a>
  <h3 class="teaser-title">{link(number)}</h3>
  <p class="excerpt">{excerpt(number)}</p>
  <span class="meta">{day(number)}{credit}</span>
</article>"""


def latest_box() -> str:
    items = "".join(f'<li><h4 class="small-title">{link(n)}</h4></li>' for n in LATEST)
    return f'<aside class="sidebar"><h2>آخر الأخبار</h2><ul>{items}</ul></aside>'


def listing_page(base: str, path: str, title: str, numbers: list[int], intro: str = "") -> bytes:
    extra = ""
    if path == "/section/sport":
        extra = (
            '<div class="sub-sections">أقسام: <a href="/section/sport/world">رياضة عالمية</a></div>'
        )
    teasers = "".join(teaser(n) for n in numbers)
    main = f"""<h1 class="page-title">{title}</h1>{intro}{extra}
<div class="posts-list">{teasers}</div>
{latest_box()}"""
    return layout(base, path, title, main, "listing-page")


def article_page(base: str, number: int) -> bytes:
    path, section, writer, _, title, *_ = ARTICLES[number]
    if writer:
        byline = f'بقلم: <a href="/writer/{writer}">{WRITERS[writer][0]}</a>'
    else:
        byline = "القسم الرياضي - وكالات"
    text = "".join(f"<p>{p}</p>" for p in paragraphs(number))
    tags = " ".join(f'<a href="/tag/{t}">{t.replace("-", " ")}</a>' for t in TAGS[number % 3 :][:2])
    related = [n for n in range(12) if n != number][number % 4 :][:3]
    related_html = "".join(
        f'<div class="related-item"><h3>{link(n)}</h3><p>{excerpt(n)}</p></div>' for n in related
    )
    main = f"""<div class="breadcrumb"><a href="/">الرئيسية</a> › <a href="{section}">{SECTIONS[section]}</a></div>
<article class="post">
  <h1 class="post-title">{escape(title)}</h1>
  <div class="post-meta"><span class="byline">{byline}</span>
    <span class="post-date">{day(number)}</span></div>
  <figure><img src="/static/img/{number}.jpg" alt=""><figcaption>صورة أرشيفية</figcaption></figure>
  <div class="post-content">{text}</div>
  <div class="post-tags">الوسوم: {tags}</div>
  <div class="share">شارك: <a href="https://www.facebook.com/sharer.php?u={base}{path}">فيسبوك</a>
    <a href="https://twitter.com/intent/tweet?url={base}{path}">تويتر</a></div>
</article>
<section class="related"><h2>أخبار ذات صلة</h2>{related_html}</section>"""  # noqa: E501
    return layout(base, path, title, main, "article-page")


def front_page(base: str) -> bytes:
    top, *rest = FRONT
    more = "".join(teaser(n) for n in rest)
    main = f"""<section class="featured"><article class="lead-story">
  <a href="{ARTICLES[top][0]}"><img src="/static/img/{top}.jpg" alt=""></a>
  <h2 class="lead-title">{link(top)}</h2><p class="excerpt">{excerpt(top)}</p>
</article></section>
<section class="home-block"><h2>أهم الأخبار</h2>{more}</section>"""
    return layout(base, "/", NAME, main, "home-page")


def static_page(base: str, path: str) -> bytes:
    if path == "/about-us":
        title = "من نحن"
        content = (
            f"<p>{NAME} جريدة إلكترونية مستقلة تأسست سنة 2012، تهتم بأخبار الجزائر والمغرب"
            " العربي وتقدم لقرائها تغطية يومية للشأن السياسي والاقتصادي والرياضي.</p>"
            "<p>يعمل في هيئة التحرير أكثر من ثلاثين صحفيا ومراسلا موزعين على مختلف"
            " الولايات، ونلتزم بميثاق أخلاقيات المهنة وبحق القارئ في خبر دقيق وموثوق.</p>"
            "<p>للتواصل مع هيئة التحرير أو لاقتراح موضوع، يمكنكم زيارة صفحة الاتصال.</p>"
        )
    elif path == "/contact-us":
        title = "اتصل بنا"
        content = (
            "<p>العنوان: 12 شارع ديدوش مراد، الجزائر العاصمة</p>"
            "<p>الهاتف: 021 00 00 00 — البريد: redaction@example.dz</p>"
            '<form action="/contact-us" method="post"><input name="name" placeholder="الاسم">'
            '<textarea name="message"></textarea><button>إرسال</button></form>'
        )
    else:
        title = "سياسة الخصوصية"
        content = (
            "<p>نحترم خصوصية زوار موقعنا، ولا نجمع من المعطيات الشخصية إلا ما يلزم لتحسين"
            " الخدمة وقياس عدد الزيارات، ولا نبيعها لأي طرف آخر.</p>"
            "<p>يستعمل الموقع ملفات تعريف الارتباط لحفظ تفضيلات التصفح، ويمكنكم تعطيلها من"
            " إعدادات المتصفح في أي وقت دون أن يؤثر ذلك على قراءة الأخبار.</p>"
        )
    main = f'<h1 class="page-title">{title}</h1><div class="page-content">{content}</div>'
    return layout(base, path, title, main, "static-page")


def writer_page(base: str, key: str) -> bytes:
    name, bio = WRITERS[key]
    numbers = [n for n, a in enumerate(ARTICLES) if a[2] == key]
    intro = f'<p class="bio">{bio}</p>'
    return listing_page(base, f"/writer/{key}", name, numbers, intro)


def build_routes(base: str) -> dict[str, tuple[str, bytes]]:
    """Unquoted path → (content type, body). Anything else is a 404: /feed/, /wp-json/…,
    /sitemap.xml."""
    html = "text/html"
    routes = {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /admin/\nDisallow: /search\n"),
        "/": (html, front_page(base)),
    }
    for path, title in SECTIONS.items():
        routes[path] = (html, listing_page(base, path, title, SECTION_LISTS[path]))
    for number, article in enumerate(ARTICLES):
        routes[article[0]] = (html, article_page(base, number))
    for key in WRITERS:
        routes[f"/writer/{key}"] = (html, writer_page(base, key))
    for tag in TAGS:
        tagged = [n for n in range(12) if tag in TAGS[n % 3 :][:2]] + [5, 6, 8, 10]
        routes[f"/tag/{tag}"] = (html, listing_page(base, f"/tag/{tag}", tag, tagged))
    routes[DOSSIER] = (html, listing_page(base, DOSSIER, "ملف: رمضان 2024", [0, 3, 6, 8]))
    for path in STATIC:
        routes[path] = (html, static_page(base, path))
    return routes


class Server:
    """The site on 127.0.0.1, with a log of (crawl, path) for every request; a crawl
    names itself by its User-Agent."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.routes: dict[str, tuple[str, bytes]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = unquote(urlsplit(self.path).path)
                server.log.append((self.headers.get("User-Agent", ""), path))
                content_type, body = server.routes.get(path, ("text/html", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.routes = build_routes(self.base)

    def paths(self, crawl: str) -> list[str]:
        return [path for agent, path in self.log if agent == f"depth-test/{crawl}"]


# -- the crawls --


def crawl(server: Server, db, name: str, **settings: str):
    """`newsarchive crawl http://127.0.0.1:PORT/`: the site is in no registry."""
    sites = write_sites(db.parent / "sites.toml", "http://unused.invalid")
    merged = {"DOWNLOAD_DELAY": "0", "USER_AGENT": f"depth-test/{name}", **settings}
    return run_crawl(db, sites, server.base + "/", settings=merged)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Iterator[dict]:
    """A full crawl and, at the same time, one with NEWSARCHIVE_DISCOVERY_DEPTH=1 into
    another archive; then a second full crawl over the first archive."""
    server = Server()
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    full_db = tmp_path_factory.mktemp("full") / "archive.db"
    shallow_db = tmp_path_factory.mktemp("shallow") / "archive.db"
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(crawl, server, full_db, "first")
            shallow = pool.submit(
                crawl, server, shallow_db, "shallow", NEWSARCHIVE_DISCOVERY_DEPTH="1"
            )
            first, shallow = first.result(), shallow.result()
        after_first = {r["url"] for r in sqlite_utils.Database(full_db)["articles"].rows}
        second = crawl(server, full_db, "second")
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    yield {
        "server": server,
        "base": server.base,
        "first": first,
        "second": second,
        "shallow": shallow,
        "after_first": after_first,
        "db": sqlite_utils.Database(full_db),
        "shallow_db": sqlite_utils.Database(shallow_db),
    }


# -- helpers --


def path_of(url: str) -> str:
    return unquote(urlsplit(url).path) or "/"


def runs(db: sqlite_utils.Database) -> list[dict]:
    return list(db["crawl_runs"].rows_where(order_by="id"))


def page_rows(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    return list(db["pages"].rows_where("run_id = ?", [run_id], order_by="id"))


def explain(rows: list[dict]) -> str:
    """The decisions and signals of ``rows``, for an assertion message."""
    return "\n".join(
        f"{r['url']} {r['decision']} ({r['reason']}, via {r['found_via']}, {r['outcome']}):"
        f" {json.dumps(json.loads(r['signals'] or '{}'), ensure_ascii=False)}"
        for r in rows
    )


def article_urls(base: str, numbers: list[int] | None = None) -> set[str]:
    return {base + ARTICLES[n][0] for n in (range(len(ARTICLES)) if numbers is None else numbers)}


NOT_ARTICLES = [
    "/",
    *SECTIONS,
    *(f"/writer/{k}" for k in WRITERS),
    *(f"/tag/{t}" for t in TAGS),
    DOSSIER,
    *STATIC,
]


# -- the tests --


def test_the_first_crawl_archives_exactly_the_thirteen_articles(crawled):
    result = crawled["first"]
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    db, base = crawled["db"], crawled["base"]
    archived = crawled["after_first"]
    missing = article_urls(base) - archived
    wrongly = archived - article_urls(base)
    rows = page_rows(db, runs(db)[0]["id"])
    assert not missing, "articles not archived:\n" + explain(
        [r for r in rows if r["url"] in missing]
    )
    assert not wrongly, "pages archived as articles:\n" + explain(
        [r for r in rows if r["url"] in wrongly]
    )
    assert not archived & {base + p for p in NOT_ARTICLES}
    run = runs(db)[0]
    assert (run["new"], run["updated"], run["status"]) == (13, 0, "ok")
    assert all(r["source"] == "127_0_0_1" for r in db["articles"].rows)


def test_the_articles_fields_come_from_the_page_shape(crawled):
    by_path = {path_of(r["url"]): r for r in crawled["db"]["articles"].rows}
    for number, (path, *_rest) in enumerate(ARTICLES):
        row = by_path.get(path)
        if row is None:
            continue  # reported by the test above
        assert row["title"] == ARTICLES[number][4]
        assert (row["published"] or "")[:10] == f"2024-03-{ARTICLES[number][3]:02d}", path
        assert paragraphs(number)[2][:60] in row["text"]
        assert "أخبار ذات صلة" not in row["text"]


def test_the_article_three_links_deep_is_found_only_within_the_depth(crawled):
    base, hidden = crawled["base"], ARTICLES[HIDDEN][0]
    assert base + hidden in {r["url"] for r in crawled["db"]["articles"].rows}
    row = next(crawled["db"]["pages"].rows_where("url = ?", [base + hidden]))
    assert row["found_via"] == "listing"
    assert "/section/sport/world" in crawled["server"].paths("first")

    shallow = crawled["shallow"]
    assert shallow.returncode == 0, shallow.stdout + shallow.stderr[-3000:]
    archived = {r["url"] for r in crawled["shallow_db"]["articles"].rows}
    assert archived == article_urls(base, FRONT)
    fetched = crawled["server"].paths("shallow")
    assert hidden not in fetched
    assert "/section/sport/world" not in fetched
    # The sections were fetched (links of the front page) but not walked.
    assert "/section/sport" in fetched
    assert not {ARTICLES[n][0] for n in range(len(ARTICLES)) if n not in FRONT} & set(fetched)


def test_every_fetched_page_has_its_decision_recorded(crawled):
    db, server = crawled["db"], crawled["server"]
    rows = page_rows(db, runs(db)[0]["id"])
    recorded = {path_of(r["url"]) for r in rows}
    fetched = set(server.paths("first"))
    assert fetched - recorded == set(), f"fetched pages without a pages row: {fetched - recorded}"
    assert all(r["decision"] and r["reason"] and r["found_via"] for r in rows), explain(rows)

    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(path_of(row["url"]), []).append(row)

    wrong = []
    for article in ARTICLES:
        got = by_path.get(article[0], [])
        if [(r["decision"], r["outcome"]) for r in got] != [("article", "new")]:
            none = {"url": article[0], "decision": None, "reason": "no pages row"}
            wrong += got or [{**none, "found_via": None, "outcome": None, "signals": "{}"}]
    for path in NOT_ARTICLES:
        wrong += [r for r in by_path.get(path, []) if r["decision"] != "not-article"]
    assert not wrong, "mis-decided pages:\n" + explain(wrong)

    for path in STATIC:
        (row,) = by_path[path]
        assert row["outcome"] == "skipped"
        assert "static" in row["reason"] or "listing" in row["reason"], explain([row])
    about = json.loads(by_path["/about-us"][0]["signals"])
    assert about["og_type"] == "website"
    for path in [*SECTIONS, *(f"/writer/{k}" for k in WRITERS), DOSSIER]:
        assert by_path.get(path), f"{path} was never fetched"
        assert all(r["decision"] == "not-article" for r in by_path[path])
    # Tag pages: where fetched, never archived (common deny patterns may keep /tag/ out).
    for tag in TAGS:
        assert all(r["decision"] == "not-article" for r in by_path.get(f"/tag/{tag}", []))
    # The front page is where the crawl started, read as a listing.
    assert [(r["decision"], r["found_via"]) for r in by_path["/"]] == [("not-article", "start")]
    # Nothing announced: whatever feed or REST API URL was tried answered 404, recorded so.
    probes = [r for p, rs in by_path.items() if p.startswith(("/feed", "/wp-json/")) for r in rs]
    assert all((r["decision"], r["status"]) == ("error", 404) for r in probes), explain(probes)
    assert not any("sitemap" in p for p in fetched)


def test_the_summary_lists_dropped_reasons_with_example_urls(crawled):
    output, base = crawled["first"].stdout, crawled["base"]
    lines = output.splitlines()
    assert lines[0].startswith("127_0_0_1: ok: "), output
    assert " 13 new, 0 updated, 0 unchanged" in lines[0], output
    examples: dict[str, list[str]] = {}
    reason = None
    for line in lines[1:]:
        if line.startswith("  dropped "):
            reason = line.split(": ", 1)[1]
            examples[reason] = []
        elif line.startswith("      ") and reason is not None:
            examples[reason].append(line.strip())
        else:
            reason = None
    static = [r for r in examples if "static" in r]
    assert static, output
    assert base + "/about-us" in examples[static[0]], output
    listing = [r for r in examples if "listing" in r]
    assert listing and examples[listing[0]], output
    pages = {base + p for p in NOT_ARTICLES}
    for urls in examples.values():
        assert urls and set(urls) <= pages, output


def test_a_second_crawl_archives_nothing_new(crawled):
    second, db = crawled["second"], crawled["db"]
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    first_line = second.stdout.splitlines()[0]
    assert "0 new, 0 updated, 13 unchanged" in first_line, second.stdout
    run = runs(db)[-1]
    assert (run["new"], run["updated"], run["unchanged"], run["status"]) == (0, 0, 13, "ok")
    assert db["articles"].count == 13
    # Known articles are not fetched again: no feed or sitemap says they changed.
    fetched = set(crawled["server"].paths("second"))
    assert not fetched & {a[0] for a in ARTICLES}, "archived articles fetched again"
    assert "/section/sport/world" in fetched  # discovery itself runs again
    rows = page_rows(db, run["id"])
    assert not [r for r in rows if r["outcome"] in ("new", "updated")], explain(rows)
