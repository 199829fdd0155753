"""The step-through page in headless Chromium at 1280x800 and 100% zoom.

For `xyz`, `network` and `mlp` (pages written by `render_steps`, as
`autograd-nn walk NAME --out DIR` writes them): the text is legible, the
current node is in view at every step, play advances, `#step=N` opens step N,
and the console stays clean. Also: labels that look like markup cannot break
the page, and `step_through`'s inline fallback works. One browser per module.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

from autograd_nn import Value
from autograd_nn.examples import EXAMPLES
from autograd_nn.viz import page_html, render_steps, step_frames, step_through

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WIDTH, HEIGHT = 1280, 800
MIN_TEXT_PX = 11
NAMES = ("xyz", "network", "mlp")

pytestmark = [
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing"),
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium and chromedriver are not installed (.ci/run installs them)",
    ),
]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """The README screenshot's browser: headless Chromium, a 1280x800 viewport at scale 1."""
    pytest.importorskip("selenium.webdriver")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    try:
        from screenshot_pager import browser as start_browser
    finally:
        sys.path.pop(0)
    browser = start_browser(tmp_path_factory.mktemp("profile"))
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """index.html of each example, written as `autograd-nn walk NAME --out DIR` does."""
    out = tmp_path_factory.mktemp("pages")
    written = {}
    for name in NAMES:
        worked = EXAMPLES[name]()
        written[name] = render_steps(worked.output, out / name, model=worked.model)
    return written


def open_page(driver, url):
    """Load `url` afresh (a change of fragment alone would not reload the page)."""
    driver.get("about:blank")
    driver.get(url)
    return driver.execute_script("return JSON.parse(document.getElementById('steps').textContent)")


def errors(driver):
    """SEVERE console messages since the last call (reading the log empties it)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def counter(driver):
    return driver.execute_script("return document.getElementById('counter').textContent")


def wait_for(driver, script, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script(script)
    )


SMALLEST_TEXT = """
let smallest = Infinity, count = 0;
for (const text of document.querySelectorAll('#stage svg text')) {
  if (!text.textContent.trim()) continue;
  const m = text.getScreenCTM();
  const px = parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
  smallest = Math.min(smallest, px); count += 1;
}
return [smallest, count, document.getElementById('zoom-level').textContent];
"""


@pytest.mark.parametrize("name", NAMES)
def test_text_is_at_least_11_css_px_at_100_percent(driver, pages, name):
    open_page(driver, pages[name].as_uri())
    assert driver.execute_script("return [innerWidth, innerHeight]") == [WIDTH, HEIGHT]
    smallest, count, zoom = driver.execute_script(SMALLEST_TEXT)
    assert zoom == "100%" and count > 10
    assert smallest >= MIN_TEXT_PX, f"{name}: smallest text {smallest:.1f} px"
    # Inline SVG, no images: the text is real text a student can select.
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    assert not errors(driver)


FOCUS_IN_VIEW = """
const steps = JSON.parse(document.getElementById('steps').textContent);
const port = document.getElementById('viewport').getBoundingClientRect();
const out = [];
for (let k = 0; k < steps.length; k++) {
  if (k > 0) document.getElementById('next').click();
  const shown = document.getElementById('counter').textContent;
  const id = steps[k].focus;
  if (!id) { out.push([k + 1, shown, null]); continue; }
  const node = Array.from(document.querySelectorAll('#stage [id]')).find((e) => e.id === id);
  if (!node) { out.push([k + 1, shown, 'missing']); continue; }
  const r = node.getBoundingClientRect();
  const inside = r.width > 0
    && r.left >= Math.max(port.left, 0) && r.top >= Math.max(port.top, 0)
    && r.right <= Math.min(port.right, innerWidth)
    && r.bottom <= Math.min(port.bottom, innerHeight);
  out.push([k + 1, shown, inside]);
}
return out;
"""


@pytest.mark.parametrize("name", NAMES)
def test_the_current_node_is_in_view_at_every_step(driver, pages, name):
    steps = open_page(driver, pages[name].as_uri())
    checked = driver.execute_script(FOCUS_IN_VIEW)
    assert [shown for _, shown, _ in checked] == [f"{k} / {len(steps)}" for k in
                                                  range(1, len(steps) + 1)]
    with_focus = [(k, inside) for k, _, inside in checked if inside is not None]
    assert len(with_focus) >= len(steps) - 3  # only the update frames may have no node
    assert all(inside is True for _, inside in with_focus), with_focus
    # Stepping keeps the zoom: the layout is the same in every frame.
    assert driver.execute_script("return document.getElementById('zoom-level').textContent") == (
        "100%"
    )
    assert not errors(driver)


@pytest.mark.parametrize("name", NAMES)
def test_play_advances_the_step_and_pause_stops_it(driver, pages, name):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    steps = open_page(driver, pages[name].as_uri())
    Select(driver.find_element(By.ID, "speed")).select_by_value("4")
    driver.find_element(By.ID, "play").click()
    wait_for(driver, "return document.getElementById('counter').textContent.startsWith('3 /')")
    driver.find_element(By.ID, "play").click()  # pause
    paused = counter(driver)
    assert driver.execute_script("return location.hash") == "#step=" + paused.split(" /")[0]
    driver.execute_script("return new Promise((done) => setTimeout(done, 400))")
    assert counter(driver) == paused
    assert "Play" in driver.find_element(By.ID, "play").text
    # Played to the end, it stops there.
    open_page(driver, pages[name].as_uri() + f"#step={len(steps) - 1}")
    Select(driver.find_element(By.ID, "speed")).select_by_value("4")
    driver.find_element(By.TAG_NAME, "body").send_keys(" ")
    wait_for(driver, f"return document.getElementById('counter').textContent === "
                     f"'{len(steps)} / {len(steps)}'")
    wait_for(driver, "return document.getElementById('play').textContent.includes('Play')")
    assert not errors(driver)


@pytest.mark.parametrize("name", NAMES)
def test_the_fragment_opens_a_step_and_follows_the_steps(driver, pages, name):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url = pages[name].as_uri()
    steps = open_page(driver, url + "#step=7")
    n = len(steps)
    assert counter(driver) == f"7 / {n}"
    assert driver.find_element(By.ID, "phase").text == steps[6]["title"]
    assert driver.find_element(By.ID, "explanation").text == steps[6]["caption"].strip()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert counter(driver) == f"8 / {n}"
    assert driver.execute_script("return location.hash") == "#step=8"
    driver.find_element(By.ID, "prev").click()
    assert driver.execute_script("return location.hash") == "#step=7"
    # A link to a step within the page (the list of all steps) shows it.
    driver.execute_script("location.hash = '#step=5'")
    wait_for(driver, f"return document.getElementById('counter').textContent === '5 / {n}'")
    assert not errors(driver)


def test_a_fragment_out_of_range_clamps_to_the_first_or_last_step(driver, pages):
    url = pages["xyz"].as_uri()
    n = len(open_page(driver, url))
    for fragment, shown in (("#step=999", n), ("#step=0", 1), ("#step=-3", 1), ("#step=x", 1),
                            ("", 1)):
        open_page(driver, url + fragment)
        assert counter(driver) == f"{shown} / {n}", fragment
        assert driver.execute_script("return location.hash") == f"#step={shown}"
    assert not errors(driver)


def test_zoom_pan_and_fit_with_buttons_keys_mouse_and_wheel(driver, pages):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(driver, pages["network"].as_uri() + "#step=10")

    def zoom():
        return driver.execute_script("return document.getElementById('zoom-level').textContent")

    def offset():
        return driver.execute_script(
            "const r = document.querySelector('#stage svg').getBoundingClientRect();"
            "return [r.left, r.top, r.width];"
        )

    body = driver.find_element(By.TAG_NAME, "body")
    driver.find_element(By.ID, "zoom-in").click()
    assert zoom() == "125%"
    body.send_keys("-")
    body.send_keys("-")
    assert zoom() == "80%"
    body.send_keys(Keys.ARROW_RIGHT)
    assert zoom() == "80%" and counter(driver).startswith("11 /")  # zoom survives a step
    body.send_keys("f")
    fitted = offset()
    port_width = driver.execute_script("return document.getElementById('viewport').clientWidth")
    assert fitted[2] <= port_width + 1
    assert driver.find_element(By.ID, "fit").get_attribute("aria-pressed") == "true"
    driver.find_element(By.ID, "fit").click()  # fit off: back to 100%
    assert zoom() == "100%"
    # Drag on an empty spot pans by the drag.
    before = offset()
    port = driver.find_element(By.ID, "viewport")
    ActionChains(driver).move_to_element_with_offset(port, -port.size["width"] // 2 + 5, 0) \
        .click_and_hold().move_by_offset(120, 30).release().perform()
    after = offset()
    assert after[0] == pytest.approx(before[0] + 120, abs=2)
    assert after[1] == pytest.approx(before[1] + 30, abs=2)
    # The wheel zooms around the pointer: the point under it stays put.
    ActionChains(driver).scroll_to_element(port).perform()
    width = offset()[2]
    driver.execute_script(
        "const p = document.getElementById('viewport').getBoundingClientRect();"
        "document.getElementById('viewport').dispatchEvent(new WheelEvent('wheel',"
        "{deltaY: -200, clientX: p.left + 300, clientY: p.top + 100, bubbles: true,"
        " cancelable: true}));"
    )
    zoomed = offset()
    assert zoomed[2] > width * 1.3
    scale = zoomed[2] / width
    port_box = driver.execute_script(
        "const p = document.getElementById('viewport').getBoundingClientRect();"
        "return [p.left, p.top];"
    )
    px, py = port_box[0] + 300, port_box[1] + 100
    assert zoomed[0] == pytest.approx(px - (px - after[0]) * scale, abs=2)
    assert zoomed[1] == pytest.approx(py - (py - after[1]) * scale, abs=2)
    assert not errors(driver)


HOSTILE = ("<!--<script>", "</script><b>", "a & b > c \u2028 d \u2029 ${x}")


def test_labels_that_look_like_markup_cannot_break_the_page(driver, tmp_path):
    from selenium.webdriver.common.by import By

    a, b = Value(2.0, HOSTILE[0]), Value(3.0, HOSTILE[1])
    c = a * b
    c.label = HOSTILE[2]
    frames = step_frames(c)
    page = tmp_path / "hostile.html"
    page.write_text(page_html(frames, "</title><script>alert(1)</script>"), encoding="utf-8")
    steps = open_page(driver, page.as_uri())
    assert [s["caption"] for s in steps] == [f.caption for f in frames]
    assert driver.title == "</title><script>alert(1)</script>"
    driver.find_element(By.ID, "next").click()
    driver.find_element(By.ID, "next").click()
    assert counter(driver) == f"3 / {len(frames)}"
    assert driver.execute_script(
        "return document.getElementById('explanation').textContent"
    ) == frames[2].caption
    texts = driver.execute_script(
        "return Array.from(document.querySelectorAll('#stage svg text'), (t) => t.textContent)"
    )
    assert HOSTILE[0] in texts and HOSTILE[1] in texts
    assert driver.execute_script("return document.querySelectorAll('b, #stage script').length") \
        == 0
    assert not errors(driver)


def test_step_throughs_fallback_without_ipywidgets_plays_inline(driver, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    shown = step_through(EXAMPLES["xyz"]().output)
    host = tmp_path / "notebook.html"
    host.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>a notebook</title></head>"
        f"<body><h1>Out [3]:</h1>{shown._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    driver.get("about:blank")
    driver.get(host.as_uri())
    driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
    try:
        wait_for(driver, "return document.getElementById('counter') !== null")
        steps = json.loads(driver.execute_script(
            "return document.getElementById('steps').textContent"
        ))
        assert counter(driver) == f"1 / {len(steps)}"
        driver.find_element(By.ID, "next").click()
        assert counter(driver) == f"2 / {len(steps)}"
        assert driver.find_element(By.ID, "explanation").text == steps[1]["caption"].strip()
        assert driver.execute_script("return document.querySelectorAll('#stage svg').length") == 1
    finally:
        driver.switch_to.default_content()
    assert not errors(driver)
