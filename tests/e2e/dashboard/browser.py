"""Debian's headless Chromium driven by selenium (no browser downloads: /usr/bin only)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.services import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Root in a container needs --no-sandbox; the rest keeps Chromium off the network and quiet.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def csp_violations(driver) -> list[str]:
    """Console messages since the last call that report a Content-Security-Policy refusal."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator:
    """A fresh headless Chromium with its own profile; skipped (failed under CI=true) when
    Debian's chromium and chromium-driver packages are not installed."""
    if shutil.which(CHROMIUM) is None or shutil.which(CHROMEDRIVER) is None:
        unavailable(
            "Chromium",
            f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install "
            "chromium chromium-driver; .ci/run does it)",
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="voltline-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()
