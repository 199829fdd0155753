"""Make docs/pager.png: the `network` step-through page in headless Chromium at 1280x800.

Writes the page with `render_steps` (as `autograd-nn walk network --out DIR`
does), opens it at a backward step in the middle of the walk, and saves a
screenshot for the README's gallery. Needs Graphviz, Chromium, chromedriver
and selenium (the `dev` extra):

    .venv/bin/python scripts/screenshot_pager.py [OUTPUT.png]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from autograd_nn.examples import EXAMPLES
from autograd_nn.viz import render_steps

WIDTH, HEIGHT = 1280, 800
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "pager.png"


def browser(profile: Path, *, hide_scrollbars: bool = False) -> webdriver.Chrome:
    """Headless Chromium with a viewport of exactly WIDTH x HEIGHT CSS px at scale 1.

    The browser's console is logged (`driver.get_log("browser")`); the page
    tests use the same browser.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        sys.exit("needs chromium and chromedriver "
                 "(Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        *(["--hide-scrollbars"] if hide_scrollbars else []),
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def main(output: Path) -> None:
    worked = EXAMPLES["network"]()
    with tempfile.TemporaryDirectory() as work:
        index = render_steps(worked.output, Path(work) / "frames", model=worked.model,
                             title="network: a two-layer sigmoid network")
        driver = browser(Path(work) / "profile", hide_scrollbars=True)
        try:
            driver.get(index.as_uri())
            kinds = driver.execute_script(
                "return JSON.parse(document.getElementById('steps').textContent)"
                ".map((s) => s.kind)"
            )
            backward = [k for k, kind in enumerate(kinds, start=1) if kind == "backward"]
            step = backward[len(backward) // 2]
            driver.get(f"{index.as_uri()}#step={step}")
            driver.refresh()
            WebDriverWait(driver, 10).until(
                lambda d: d.execute_script("return document.getElementById('counter')"
                                           ".textContent.startsWith(arguments[0])", f"{step} /")
            )
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(driver.get_screenshot_as_png())
        finally:
            driver.quit()
    print(f"wrote {output} (step {step} of {len(kinds)})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
