"""The built site (`make build` writes site/) in a real browser: Debian's chromium, headless.

The site is served from 127.0.0.1 and every request to any other host is
refused and recorded (tests/browser_support.py), so the test also proves the
site reads fully offline. Screenshots go to build/screenshots/.

"Chinese renders, not boxes" is checked two ways on the Chinese page title:
the fonts Chromium actually drew its glyphs with (DevTools'
`CSS.getPlatformFontsForNode`) must include a CJK font for every Chinese
character, and the characters drawn on a canvas with the title's own font
must give distinct, non-empty pictures (a missing glyph is the same box for
every character).
"""

from __future__ import annotations

from .browser_support import browser, page, site_url  # noqa: F401  (fixtures)
from .browser_support import open_page as _open
from .browser_support import shot as _shot

CJK_FONT = "WenQuanYi Micro Hei"  # Debian's fonts-wqy-microhei, installed by .ci/run


def _title(page) -> str:
    """The page's title, without the permalink sign that follows it."""
    return page.locator("article h1").first.evaluate("h => h.firstChild.textContent").strip()


def test_overview_in_both_languages(page, site_url):
    for lang, prefix, title, header in (
            ("zh", "", "包头市关于推动电子商务加快发展若干措施", "给予资金的措施"),
            ("en", "en/", "Several Measures of Baotou Municipality", "Measures that pay")):
        _open(page, f"{site_url}{prefix}policies/baotou_2022/")
        assert _title(page).startswith(title)
        assert page.get_by_role("heading", name=header).count() == 1
        rows = page.locator("article table").first.locator("tbody tr")
        assert rows.count() == 12  # the twelve measures that pay
        assert "M7" in rows.nth(6).inner_text()
        _shot(page, f"overview-{lang}")


def test_clause_page_and_language_switch(page, site_url):
    _open(page, f"{site_url}policies/baotou_2022/clause-07/")
    assert _title(page) == "(七)组织开展线下线上融合促消费活动。"
    assert page.locator("#M7-eligibility ~ ul").first.locator("li").count() == 6
    assert page.locator("ins.pol-repair").first.inner_text() == "促消费活动"
    _shot(page, "clause-07-zh")

    # The switch in the header goes to the same page in the other language, and back.
    page.locator(".md-header .md-select").first.hover()
    page.locator('.md-header a[hreflang="en"]').first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/en/policies/baotou_2022/clause-07/")
    assert _title(page).startswith("(7) Organize consumption promotion")
    assert "livestream rooms at least 5 (不少于5)" in page.locator("#M7-eligibility ~ ul").first.inner_text()
    _shot(page, "clause-07-en")

    page.locator(".md-header .md-select").first.hover()
    page.locator('.md-header a[hreflang="zh"]').first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/policies/baotou_2022/clause-07/") and "/en/" not in page.url


def test_chinese_renders_with_a_cjk_font_not_boxes(page, site_url):
    _open(page, f"{site_url}policies/baotou_2022/clause-07/")
    title = _title(page)
    chinese = [ch for ch in title if "\u4e00" <= ch <= "\u9fff"]
    assert len(chinese) >= 10

    # 1. The fonts the glyphs were drawn with.
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": "article h1"})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    drawn = {f["familyName"]: f["glyphCount"] for f in fonts}
    assert drawn.get(CJK_FONT, 0) >= len(chinese), f"the title was drawn with {drawn}"

    # 2. Each character drawn alone: real glyphs differ from one another, missing ones are one box.
    pictures = page.evaluate("""(chars) => {
        const font = getComputedStyle(document.querySelector('article h1')).font;
        return chars.map((ch) => {
            const canvas = document.createElement('canvas');
            canvas.width = 64; canvas.height = 64;
            const g = canvas.getContext('2d');
            g.font = font.replace(/\\d+(\\.\\d+)?px/, '40px');
            g.fillStyle = '#000';
            g.fillText(ch, 8, 48);
            const data = g.getImageData(0, 0, 64, 64).data;
            let inked = 0, hash = 0;
            for (let i = 3; i < data.length; i += 4) {
                if (data[i] > 0) inked += 1;
                hash = (hash * 31 + data[i]) | 0;
            }
            return [inked, hash];
        });
    }""", sorted(set(chinese))[:12])
    assert all(inked > 10 for inked, _ in pictures), pictures
    assert len({hash_ for _, hash_ in pictures}) == len(pictures), "identical pictures: boxes, not glyphs"
    _shot(page, "chinese-glyphs")


def test_search_in_both_languages(page, site_url):
    for lang, prefix, query in (("zh", "", "直播"), ("en", "en/", "livestream")):
        _open(page, f"{site_url}{prefix}")
        page.locator(".md-search__input").first.click()
        field = page.locator("input.md-search__input")
        field.fill(query)
        field.press("End")  # the search listens to keys; typing Chinese goes through an input method
        results = page.locator(".md-search-result__item")
        results.first.wait_for(timeout=20_000)
        assert results.count() >= 1
        # jieba's segmentation shows as zero-width spaces in the results
        assert query in page.locator(".md-search-result").inner_text().replace("\u200b", "")
        _shot(page, f"search-{lang}")

