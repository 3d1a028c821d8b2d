"""A Jakarta purchasing officer finds Metro's rice and reaches the inquiry button, on a laptop and on a phone;
every public page passes an accessibility scan and is usable with a thumb and with a keyboard."""
from __future__ import annotations

import re
from pprint import pformat

import pytest

from tests.e2e.conftest import PUBLIC_PAGES, serious_violations

pytestmark = pytest.mark.e2e


def test_search_filter_and_reach_the_inquiry_button(page_at, live_server, viewport):
    page = page_at
    page.goto(live_server + "/")
    assert "Produk UMKM Kota Metro" in page.locator("h1").inner_text()

    page.locator("#home-q").fill("beras")
    page.locator(".hero-search").get_by_role("button", name="Cari").click()
    page.wait_for_url(re.compile(r"/products\?q=beras$"))
    assert "beras" in page.locator("h1").inner_text()
    titles = page.locator(".product-card .card-title").all_inner_texts()
    assert len(titles) >= 3
    assert all("Beras" in title for title in titles), titles

    # On a phone the filters wait behind their summary, so the results come first; on a laptop they are a side bar.
    kecamatan = page.locator("#f-kecamatan")
    if viewport == "phone":
        assert not kecamatan.is_visible()
        assert page.locator(".product-card").first.bounding_box()["y"] < 740
        page.locator(".filters > summary").click()
    assert kecamatan.is_visible()
    kecamatan.select_option("metro-utara")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url(re.compile(r"q=beras.*kecamatan=metro-utara"))
    cards = page.locator(".product-card").all_inner_texts()
    assert 0 < len(cards) < len(titles)
    for text in cards:
        assert "Metro Utara" in text and "Beras" in text
    assert page.locator(".active-filters").get_by_role("link", name=re.compile("Metro Utara")).is_visible()
    if viewport == "phone":
        assert page.locator(".filters > summary .badge").inner_text().startswith("1")

    page.locator(".product-card .card-title a").first.click()
    page.wait_for_url(re.compile(r"/products/\d+"))
    product_id = re.search(r"/products/(\d+)", page.url).group(1)
    assert "Beras" in page.locator("h1").inner_text()
    assert re.search(r"Rp \d", page.locator(".buy-box").inner_text())
    facts = page.locator("[data-facts=order]").inner_text()
    assert "Minimal pemesanan" in facts and "Kapasitas produksi per bulan" in facts
    certificates = page.locator("section[aria-labelledby=sertifikat]")
    assert "Sertifikat dan izin" in certificates.inner_text() and "SNI" in certificates.inner_text()
    producer = page.locator("section.producer-card")
    assert "Metro Utara" in producer.inner_text()
    assert re.fullmatch(r"/producers/[\w-]+",
                        producer.get_by_role("link", name="Lihat etalase produsen").get_attribute("href"))
    button = page.get_by_role("link", name="Minta penawaran")
    assert button.get_attribute("href") == f"/inquiries/new?product={product_id}"
    assert button.is_visible()


def test_the_language_switch_is_remembered_on_the_next_page(page_at, live_server, viewport):
    page = page_at
    page.goto(live_server + "/products?q=beras")
    assert page.locator("html").get_attribute("lang") == "id"
    if viewport == "phone":
        page.locator(".navbar-toggler").click()
        page.locator(".navbar-collapse.show").wait_for()  # the menu has finished opening before the tap
    page.locator(".lang-switch").get_by_role("link", name="EN").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert "q=beras" in page.url  # the same page, in the other language
    assert page.locator("html").get_attribute("lang") == "en"

    page.locator(".product-card .card-title a").first.click()  # an ordinary link, without ?lang=
    page.wait_for_url(re.compile(r"/products/\d+"))
    assert "lang=" not in page.url
    assert page.locator("html").get_attribute("lang") == "en"

    if viewport == "phone":
        page.locator(".navbar-toggler").click()
        page.locator(".navbar-collapse.show").wait_for()
    page.locator(".lang-switch").get_by_role("link", name="ID").click()
    page.wait_for_url(re.compile(r"lang=id"))
    page.goto(live_server + "/producers")
    assert page.locator("html").get_attribute("lang") == "id"


# ------------------------------------------------------------------ every public page

@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_pages_pass_the_accessibility_scan(page_at, live_server, public_paths, name):
    response = page_at.goto(live_server + public_paths[name])
    assert response.status == (404 if name == "not-found" else 200)
    assert serious_violations(page_at) == []


# Everything a thumb presses: controls, and links that stand alone (not links inside a sentence).
TARGETS = """
.btn, button, summary, select, .page-link, .navbar-toggler, .form-check,
input:not([type=hidden]):not([type=checkbox]):not([type=radio]),
.breadcrumb-item a, .site-footer a, .section-head a
"""

SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.checkVisibility())
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => Math.min(box.width, box.height) < 43.5)
  .map(([el, box]) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim().slice(0, 30)}" `
                      + `${Math.round(box.width)}x${Math.round(box.height)}`)"""


def test_phone_pages_fit_the_screen_and_have_thumb_sized_targets(browser, live_server, public_paths):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    selector = " ".join(TARGETS.split())
    problems = {}
    for name, path in public_paths.items():
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        small = page.evaluate(SMALL_TARGETS, selector)
        if overflow > 0 or small:
            problems[name] = {"sideways scroll (px)": overflow, "targets under 44px": small}
    page.locator(".navbar-toggler").click()
    page.wait_for_selector("#mainNav.show")
    small = page.evaluate(SMALL_TARGETS, "#mainNav a, #mainNav button, #mainNav input")
    if small:
        problems["menu"] = {"targets under 44px": small}
    context.close()
    assert not problems, pformat(problems)


FOCUS_STYLE = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return [el.tagName.toLowerCase() + ' ' + (el.textContent || el.name || '').trim().slice(0, 30),
          style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2];
}"""


def test_keyboard_focus_is_always_visible(page_at, live_server, public_paths):
    page = page_at
    page.goto(live_server + public_paths["search"])
    invisible = []
    for _ in range(14):  # skip link, the bar, the search, the filters or their summary, the sort, the first cards
        page.keyboard.press("Tab")
        element, visible = page.evaluate(FOCUS_STYLE)
        if not visible:
            invisible.append(element)
    assert invisible == []


def test_a_phone_fetches_four_featured_photos_and_a_laptop_shows_eight(page_at, live_server, viewport):
    """The home page's featured listings: two rows of four on a laptop; on a phone four, and the photos of the
    cards it hides are never fetched (the first visit's weight)."""
    page = page_at
    photos = []
    page.on("request", lambda r: photos.append(r.url) if "/media/" in r.url else None)
    page.goto(live_server + "/", wait_until="networkidle")
    cards = page.locator("section[aria-labelledby=unggulan] .product-card")
    shown = [card.is_visible() for card in cards.all()]
    assert len(shown) == 8
    if viewport == "phone":
        assert shown == [True] * 4 + [False] * 4
        page.mouse.wheel(0, 20_000)  # to the page's end: the hidden cards' photos still do not load
        page.wait_for_timeout(500)
        hidden = [card.locator("img").get_attribute("src") for card in cards.all()[4:]]
        assert not set(hidden) & {url.replace(live_server, "") for url in photos}
    else:
        assert all(shown)
