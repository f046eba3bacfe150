"""Word-level diffs of Arabic texts (newsarchive.worddiff): what is marked, what is kept,
what is escaped, what is collapsed."""

from __future__ import annotations

import random
import re

import pytest

from newsarchive.worddiff import count_ar, diff_texts, render_html, render_inline, tokenize

OLD = (
    "قال وزير الصحة، اليوم الأحد، إن المستشفى الجديد سيفتح أبوابه في 2023.\n"
    "وأضاف أن الأشغال تسير وفق البرنامج المسطر.\n"
    "وختم بالقول: «سنكون في الموعد»."
)


def sides(diff) -> tuple[list[str], list[str]]:
    """Both texts' tokens as the diff holds them, in order."""
    old: list[str] = []
    new: list[str] = []
    for paragraph in diff.paragraphs:
        for run in paragraph.runs:
            old += [token.text for token in run.old]
            new += [token.text for token in run.new]
    return old, new


def words_of(text: str) -> list[str]:
    return [token.text for line in text.splitlines() for token in tokenize(line.strip())]


def marked(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html)


def test_additions_removals_and_replacements_are_marked():
    new = (
        OLD.replace("الجديد", "الجامعي الجديد").replace("في 2023", "في 2024").replace(" المسطر", "")
    )
    diff = diff_texts(OLD, new)
    html = str(render_html(diff, context=None))
    assert marked(html, "ins") == ["الجامعي", "2024"]
    assert marked(html, "del") == ["2023", "المسطر"]
    # A removed and an added number never touch: "20232024" would read as one.
    assert "<del>2023</del> <ins>2024</ins>" in html
    assert (diff.added, diff.removed, diff.minor) == (2, 2, 0)
    assert "أضيفت كلمتان" in html and "حُذفت كلمتان" in html


def test_punctuation_and_paragraphs_are_kept():
    new = OLD.replace("«سنكون في الموعد»", "«سنكون في الموعد المحدد»")
    html = str(render_html(diff_texts(OLD, new), context=None))
    paragraphs = re.findall(r'<p class="diff-paragraph[^"]*">(.*?)</p>', html)
    assert len(paragraphs) == 3
    assert paragraphs[0] == (
        "قال وزير الصحة، اليوم الأحد، إن المستشفى الجديد سيفتح أبوابه في 2023."
    )
    assert paragraphs[2] == "وختم بالقول: «سنكون في الموعد <ins>المحدد</ins>»."
    # A punctuation mark is a token of its own and no word.
    diff = diff_texts("قال، ثم مضى.", "قال: ثم مضى!")
    assert (diff.added, diff.removed) == (0, 0)
    html = str(render_html(diff))
    assert marked(html, "del") == ["،", "."] and marked(html, "ins") == [":", "!"]
    assert "لم تتغير الكلمات، بل علامات الترقيم" in html


def test_the_diff_holds_both_texts_whole():
    """Whatever the edit, reading the old side of every run gives the old text's words
    and the new side the new text's: nothing lost, nothing doubled, in order."""
    rng = random.Random(8)
    base = OLD.split()
    for trial in range(60):
        words = [rng.choice(base) for _ in range(rng.randint(0, 120))]
        edited = list(words)
        for _ in range(rng.randint(0, 12)):
            position = rng.randint(0, len(edited))
            action = rng.choice(("insert", "delete", "replace", "break"))
            if action == "insert":
                edited.insert(position, rng.choice(base))
            elif action == "break":
                edited.insert(position, "\n")
            elif edited and position < len(edited):
                if action == "delete":
                    del edited[position]
                else:
                    edited[position] = rng.choice(base) + "ـ"  # tatweel: a minor change
        old_text = " ".join(words).replace(" \n ", "\n")
        new_text = " ".join(edited).replace(" \n ", "\n")
        diff = diff_texts(old_text, new_text)
        assert sides(diff) == (words_of(old_text), words_of(new_text)), trial


def test_escapes_markup_in_the_texts():
    old = 'نص <b onclick="x()">عريض</b> & آخر'
    new = 'نص <script>alert("x")</script> & آخر "مقتبس"'
    html = str(render_html(diff_texts(old, new), context=None))
    assert "<script>" not in html and "<b " not in html
    assert "&lt;" in html and "&amp;" in html and "<ins>&#34;مقتبس&#34;</ins>" in html
    assert "<ins>script</ins>&gt;" in html
    # A word only respelt keeps its old spelling in an attribute, escaped too.
    minor = str(render_html(diff_texts('"أحمد"', '"احمد"')))
    assert 'title="قبل: أحمد"' in minor
    title = str(render_inline("<i>عنوان</i>", "<i>عنوان جديد</i>"))
    assert "<i>" not in title and "<ins>جديد</ins>" in title


def test_tashkeel_tatweel_and_hamza_only_changes_are_minor():
    old = "أعلنت المدرسة عن نتائج الامتحان في الجزائر"
    new = "أعلنت المَدْرَسَة عن نتـائج الإمتحان في الجزائر"
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed, diff.minor) == (0, 0, 3)
    html = str(render_html(diff))
    assert "<ins>" not in html and "<del>" not in html
    # The old spelling is the tooltip; neighbours make one run.
    assert '<span class="diff-minor" title="قبل: المدرسة">المَدْرَسَة</span> عن' in html
    assert '<span class="diff-minor" title="قبل: نتائج الامتحان">نتـائج الإمتحان</span>' in html
    assert "تغيّر رسم 3 كلمات فقط" in html


def test_tashkeel_everywhere_does_not_misalign_a_real_change():
    """A re-extraction that now keeps tashkeel on every word, plus one real change: only
    that word is added or removed."""
    old = "ذهب الولد إلى المدرسة صباحا مع أخيه الكبير"
    new = "ذَهَبَ الوَلَدُ إلى المَدْرَسَةِ مساءً مَعَ أَخِيهِ الكَبِيرِ"
    diff = diff_texts(old, new)
    html = str(render_html(diff))
    assert marked(html, "del") == ["صباحا"] and marked(html, "ins") == ["مساءً"]
    assert (diff.added, diff.removed, diff.minor) == (1, 1, 6)


def test_paragraph_split_and_merge_are_shown():
    old = "الفقرة الأولى هنا. والفقرة الثانية بعدها."
    split = "الفقرة الأولى هنا.\nوالفقرة الثانية بعدها."
    diff = diff_texts(old, split)
    assert [p.break_change for p in diff.paragraphs] == ["added", None]
    assert (diff.added, diff.removed) == (0, 0)
    assert '<ins class="diff-break"' in str(render_html(diff))
    merged = diff_texts(split, old)
    assert [p.break_change for p in merged.paragraphs] == ["removed", None]
    assert '<del class="diff-break"' in str(render_html(merged))


def test_whole_paragraphs_added_and_removed():
    new = OLD.replace("وأضاف أن الأشغال تسير وفق البرنامج المسطر.\n", "")
    new += "\nفقرة جديدة.\nوفقرة ثانية جديدة."
    html = str(render_html(diff_texts(OLD, new), context=None))
    assert '<p class="diff-paragraph diff-removed"><del>وأضاف أن الأشغال' in html
    assert '<p class="diff-paragraph diff-added"><ins>فقرة جديدة.</ins></p>' in html
    assert '<p class="diff-paragraph diff-added"><ins>وفقرة ثانية جديدة.</ins></p>' in html
    assert "diff-break" not in html  # whole paragraphs need no ¶ between them


def test_long_unchanged_text_collapses_around_a_one_word_fix():
    paragraphs = [
        " ".join(f"كلمة{p}x{w}" for w in range(60)) + "." for p in range(50)
    ]  # 50 paragraphs of 60 words: 3,000 words
    old = "\n".join(paragraphs)
    new = old.replace("كلمة20x30 ", "تصحيح ")
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (1, 1)
    html = str(render_html(diff, context=5))
    assert "<del>كلمة20x30</del> <ins>تصحيح</ins>" in html
    # Five words on each side of the change, then the rest of its paragraph folded.
    assert "كلمة20x25 كلمة20x26 كلمة20x27 كلمة20x28 كلمة20x29 <del>" in html
    assert "<ins>تصحيح</ins> كلمة20x31 كلمة20x32 كلمة20x33 كلمة20x34 كلمة20x35 " in html
    assert "كلمة20x24" not in html.split("<details")[-1]
    assert '<p class="diff-paragraph"><span class="diff-gap">… 25 كلمة دون تغيير …' in html
    assert "… 24 كلمة دون تغيير …</span></p>" in html  # its full stop folded with it
    # The unchanged paragraphs before and after fold into one line each, unfoldable.
    assert "… 20 فقرة دون تغيير (1,200 كلمة) …" in html
    assert "… 29 فقرة دون تغيير (1,740 كلمة) …" in html
    assert html.count("<details") == 2
    folded = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert len(re.findall(r"كلمة\d+x\d+", folded)) == 10 + 1  # the context and the fix
    # Nothing is collapsed when asked for everything.
    assert "دون تغيير" not in str(render_html(diff, context=None, summary=False))


def test_short_unchanged_stretches_are_shown_whole():
    diff = diff_texts("أ ب ج د ه و ز ح ط", "أ ب ج د ه و ز ح ي")
    html = str(render_html(diff, context=3))
    assert "دون تغيير" not in html and "أ ب ج د ه و ز ح <del>ط</del> <ins>ي</ins>" in html


def test_identical_texts():
    diff = diff_texts(OLD, OLD)
    assert not diff.changed and (diff.added, diff.removed, diff.minor) == (0, 0, 0)
    assert "لا تغيير في النص." in str(render_html(diff))
    assert not diff_texts("", None).paragraphs


def test_bidi_controls_stay_inside_their_change():
    # An unclosed right-to-left override in a removed word must not reverse the text
    # after its <del> (newsarchive.arabic.bidi).
    diff = diff_texts("كلمة \u202eevil نهاية", "كلمة نهاية")
    html = str(render_html(diff, context=None))
    assert "<del>\u202eevil\u202c</del>" in html


def test_latin_and_digits_in_arabic_text():
    old = "فاز فريق Real Madrid بنتيجة 3-1 في 2024"
    new = "فاز فريق FC Barcelona بنتيجة 3-1 في 2024"
    html = str(render_html(diff_texts(old, new), context=None))
    assert "<del>Real Madrid</del> <ins>FC Barcelona</ins>" in html
    assert 'dir="rtl"' in html
    # Case alone is a minor change, not a rewrite.
    assert diff_texts("منظمة UNESCO", "منظمة Unesco").minor == 1


@pytest.mark.parametrize(
    "old, new",
    [
        ("في " * 20_000, "في " * 10_000 + "من " + "في " * 10_000),
        ("في من " * 10_000, "من في " * 10_000),
        (" ".join(str(n % 7) for n in range(20_000)), " ".join(str(n % 5) for n in range(20_000))),
    ],
    ids=["one-word-repeated", "two-words-shifted", "digits-cycling"],
)
def test_repetitive_input_still_gives_a_whole_diff(old, new):
    """Input that makes difflib's matching quadratic (a few words repeated thousands of
    times) goes through the guard (bench/bench_worddiff.py times it) and still holds
    both texts."""
    diff = diff_texts(old, new)
    assert sides(diff) == (words_of(old), words_of(new))


def test_arabic_counts():
    assert [count_ar(n) for n in (1, 2, 3, 10, 11, 99, 100, 103, 1200)] == [
        "كلمة واحدة",
        "كلمتان",
        "3 كلمات",
        "10 كلمات",
        "11 كلمة",
        "99 كلمة",
        "100 كلمة",
        "103 كلمات",
        "1,200 كلمة",
    ]
