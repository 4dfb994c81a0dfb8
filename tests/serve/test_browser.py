"""The page in a real browser: ``mrcnn-tf serve`` as a subprocess with small deterministic
weights, headless Chromium driven by Selenium (Debian's chromium + chromium-driver). Upload
an image, see the annotated image and the table with detect()'s count, move the score
slider and see the count drop, process a clip and play the H.264 result in a <video>.

Without the browser (``apt-get install chromium chromium-driver``) or Selenium (``pip install
-e ".[test]"``) the tests skip with a reason saying so, except under MRCNN_TF_REQUIRE_EXTRAS=1
(set by .ci/run, which installs Chromium), where they fail.
"""
from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import REPO, missing_extra, require_extra
from tests.serve.conftest import IMAGE_DIM, MIN_SCORE

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
# no network: without these Chromium keeps trying to reach Google's services
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,1500")
STARTUP_SECONDS = 300
WAIT_SECONDS = 120


def find_binary(candidates) -> str | None:
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(r50_weights, tmp_path_factory):
    """Base URL of ``python -m mrcnn_tf.cli.main serve`` on a free port, once ready."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, "-m", "mrcnn_tf.cli.main", "serve", "--weights",
               str(r50_weights), "--image-max-dim", str(IMAGE_DIM), "--image-min-dim",
               str(IMAGE_DIM), "--min-score", str(MIN_SCORE), "--port", str(port),
               "--log-level", "warning", "--max-video-seconds", "2"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready after {STARTUP_SECONDS} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Selenium), with a new empty profile. Asked for before the server, so
    that a missing browser skips (or fails) before anything starts."""
    chromium, driver = find_binary(CHROMIUM), find_binary(CHROMEDRIVER)
    if chromium is None or driver is None:
        missing_extra(f"no browser for the page test (chromium: {chromium}, chromedriver: "
                      f"{driver})", "apt-get install chromium chromium-driver")
    require_extra("selenium", "test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


def wait_for(browser, condition, what, seconds=WAIT_SECONDS):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, seconds, poll_frequency=0.25).until(
            lambda b: condition(b))
    except TimeoutException:
        pytest.fail(f"timed out after {seconds} s waiting for {what}")


def text_of(browser, element_id) -> str:
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def shown_count(browser):
    """The number in "**N detections** shown of M", or None before a result."""
    words = text_of(browser, "detection-count").split()
    return int(words[0]) if words and words[0].isdigit() else None


def table_rows(browser) -> list:
    """The detections table's rows as shown: [[cell text, ...]] by row index (Gradio's
    virtual table: div[role=gridcell] with data-row / data-col)."""
    from selenium.webdriver.common.by import By

    rows = {}
    for cell in browser.find_elements(By.CSS_SELECTOR, "#detections-table [role=gridcell]"):
        row, col = cell.get_attribute("data-row"), cell.get_attribute("data-col")
        if row is not None and col is not None:
            rows.setdefault(int(row), {})[int(col)] = cell.text.strip()
    return [[cells[c] for c in sorted(cells)] for _, cells in sorted(rows.items())]


def test_the_page_shows_detect_results_and_refilters_without_the_model(
        browser, server, serve_model, images, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    coffee = images["coffee"]
    expected = serve_model.detect([coffee])[0]
    count = len(expected["scores"])
    assert count >= 2, "the test needs detections on the coffee image to prove anything"
    path = tmp_path / "coffee.png"
    cv2.imwrite(str(path), cv2.cvtColor(coffee, cv2.COLOR_RGB2BGR))

    browser.get(server + "/")
    upload = wait_for(browser, lambda b: b.find_elements(
        By.CSS_SELECTOR, "#input-image input[type=file]"), "the upload field")[0]
    upload.send_keys(str(path))
    wait_for(browser, lambda b: shown_count(b) is not None, "the detections")
    assert shown_count(browser) == count, text_of(browser, "detection-count")
    wait_for(browser, lambda b: len(table_rows(b)) == count,
             f"{count} rows in the detections table")
    shown_classes = [row[1] for row in table_rows(browser)]
    from mrcnn_tf import COCO_CLASS_NAMES
    assert shown_classes == [COCO_CLASS_NAMES[c] for c in expected["class_ids"]]
    annotated = wait_for(browser, lambda b: [i for i in b.find_elements(
        By.CSS_SELECTOR, "#annotated img") if b.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", i)],
        "the annotated image")
    assert annotated
    assert f"{count}. " in text_of(browser, "annotated")  # one legend label per detection

    # the slider: a threshold between the scores keeps fewer detections
    scores = np.sort(expected["scores"])
    threshold = math.ceil(float(np.median(scores)) * 100) / 100
    kept = int((expected["scores"] >= threshold).sum())
    assert 0 < kept < count
    number = browser.find_element(By.CSS_SELECTOR, "#score-slider input[type=number]")
    number.send_keys(Keys.CONTROL, "a")
    number.send_keys(f"{threshold:.2f}", Keys.ENTER)
    wait_for(browser, lambda b: shown_count(b) == kept,
             f"{kept} detections at score >= {threshold:.2f} "
             f"(shown: {text_of(browser, 'detection-count')!r})")
    wait_for(browser, lambda b: len(table_rows(b)) == kept, f"{kept} rows in the table")
    assert f"of {count}" in text_of(browser, "detection-count")
    downloads = browser.find_element(By.ID, "downloads").text.replace("\n", "")
    assert "image.json" in downloads and "image.png" in downloads and "zip" in downloads

    # the page loaded nothing from outside the server (no CDN fonts or scripts, no analytics)
    outside = [u for u in browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
        if not u.startswith((server, "data:", "blob:"))]
    assert outside == [], outside

    screenshot = tmp_path / "serve_page.png"
    browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("MRCNN_TF_SCREENSHOT"):  # maintainers: refresh docs/serve_page.png
        shutil.copy(screenshot, os.environ["MRCNN_TF_SCREENSHOT"])


def write_clip(path, image, frames=6, fps=5.0) -> Path:
    """An H.264 clip of the image sliding sideways (the package's own encoder)."""
    from mrcnn_tf.video.audio import find_ffmpeg
    from mrcnn_tf.video.encode import open_encoder

    ffmpeg = find_ffmpeg()
    assert ffmpeg is not None, "no ffmpeg binary: pip install -e '.[test]' (imageio-ffmpeg)"
    small = cv2.resize(image, (192, 128))
    encoder, _ = open_encoder(path, fps, 192, 128, ffmpeg=ffmpeg)
    for k in range(frames):
        encoder.write(np.roll(small, 4 * k, axis=1))
    encoder.close()
    return path


def test_a_processed_clip_plays_in_the_browser(browser, server, images, tmp_path):
    from selenium.webdriver.common.by import By

    clip = write_clip(tmp_path / "clip.mp4", images["coffee"])
    browser.get(server + "/")
    tab = wait_for(browser, lambda b: [t for t in b.find_elements(By.CSS_SELECTOR,
                                                                  "button[role=tab]")
                                       if t.text.strip() == "Video"], "the Video tab")[0]
    tab.click()
    upload = wait_for(browser, lambda b: b.find_elements(
        By.CSS_SELECTOR, "#input-video input[type=file]"), "the video upload field")[0]
    upload.send_keys(str(clip))
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#input-video video"),
             "the uploaded clip")
    browser.find_element(By.ID, "video-button").click()
    wait_for(browser, lambda b: "frames" in text_of(b, "video-summary"),
             "the video summary", seconds=240)
    video = wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#output-video video"),
                     "the annotated video")[0]
    state = wait_for(browser, lambda b: b.execute_script(
        "const v = arguments[0]; return (v.readyState >= 2 || v.error) && "
        "{ready: v.readyState, error: v.error && v.error.code, duration: v.duration, "
        "width: v.videoWidth, src: v.currentSrc};", video), "the video to load")
    assert state["error"] is None, state
    assert state["ready"] >= 2 and state["duration"] > 0 and state["width"] == 192, state
    assert state["src"].endswith(".mp4"), state
