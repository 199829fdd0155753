"""`autograd-nn train --animate`: the GIF and the page it writes, the page played in
headless Chromium at 1280x800 as a student would open it."""

import io
import shutil
import sys
from pathlib import Path

import pytest

from autograd_nn.cli import main

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
EPOCHS, EVERY = 40, 2  # --animate keeps about 20 snapshots: every 2 epochs, and epoch 0
FRAMES = EPOCHS // EVERY + 1


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("animate") / "run"
    code = main(["train", "--samples", "80", "--hidden", "8", "--epochs", str(EPOCHS),
                 "--lr", "0.05", "--animate", "--out", str(out)])
    assert code == 0
    return out


def test_animate_writes_a_gif_and_a_page_beside_the_other_files(run):
    assert sorted(p.name for p in run.iterdir()) == [
        "boundary.png", "history.png", "model.json", "training.gif", "training.html"]


def test_the_gif_decodes_with_one_frame_per_snapshot_and_the_boundary_moves(run):
    gif = Image.open(io.BytesIO((run / "training.gif").read_bytes()))
    assert gif.format == "GIF" and gif.n_frames == FRAMES
    frames = []
    for k in (0, FRAMES // 2, FRAMES - 1):
        gif.seek(k)
        frames.append(gif.convert("RGB").tobytes())
    assert frames[0] != frames[1] != frames[2]


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                    reason="Chromium and chromedriver are not installed (.ci/run installs them)")
def test_the_page_plays_in_chromium_at_1280x800(run, tmp_path):
    pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    try:
        from screenshot_pager import browser as start_browser
    finally:
        sys.path.pop(0)
    driver = start_browser(tmp_path / "profile")
    try:
        driver.get((run / "training.html").as_uri())
        assert driver.execute_script("return [innerWidth, innerHeight]") == [1280, 800]
        counter = "return document.getElementById('counter').textContent"
        assert driver.execute_script(counter) == f"1 / {FRAMES}"
        first = driver.execute_script("return document.getElementById('stage').innerHTML")
        caption = driver.find_element(By.ID, "explanation")
        assert "Epoch 0" in driver.find_element(By.TAG_NAME, "body").text
        assert float(caption.value_of_css_property("font-size").removesuffix("px")) >= 12
        box = driver.execute_script(
            "const r = document.querySelector('#stage svg, #stage img').getBoundingClientRect();"
            "return [r.left, r.top, r.right, r.bottom, r.width, r.height]")
        assert box[4] > 300 and box[5] > 100
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= 1280 and box[3] <= 800
        Select(driver.find_element(By.ID, "speed")).select_by_value("4")
        driver.find_element(By.ID, "play").click()
        WebDriverWait(driver, 10, poll_frequency=0.05).until(
            lambda d: d.execute_script(counter).startswith("4 /"))
        assert driver.execute_script(
            "return document.getElementById('stage').innerHTML") != first
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe
    finally:
        driver.quit()
