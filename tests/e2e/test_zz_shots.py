import os
from tests.e2e.conftest import VIEWPORTS, sign_in
from tests.e2e.test_staff_screens import _an_inquiry_waiting_for_a_quotation, FACILITATOR

OUT = "/work/shots"


def test_shots(browser, live_app, live_server):
    os.makedirs(OUT, exist_ok=True)
    for vp in VIEWPORTS:
        page = browser.new_context(viewport=VIEWPORTS[vp], locale="id-ID").new_page()
        sign_in(page, live_server, *FACILITATOR)
        page.goto(f"{live_server}/facilitator/inquiries/{_an_inquiry_waiting_for_a_quotation(live_app)}")
        wide = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        print(vp, page.evaluate(open("/work/tmp/probe.js").read()))
        print(vp, page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
        print(page.evaluate("""() => [...document.querySelectorAll('*')].filter(e => { if (e.getBoundingClientRect().right <= document.documentElement.clientWidth + 1) return false; for (let a = e.parentElement; a; a = a.parentElement) { if (a === document.body || a === document.documentElement) break; const o = getComputedStyle(a).overflowX; if (o !== "visible") return false; } return true; }).slice(0, 6).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"""))
        page.screenshot(path=f"{OUT}/inquiry-{vp}.png", full_page=True)
