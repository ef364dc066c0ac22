"""A real headless Chromium (Debian's `chromium` + `chromium-driver`) driven by selenium, that never outlives its user.

    with headless_chromium(tmp_path) as driver:
        driver.get(page.as_uri())

`make setup` installs the two Debian packages when they are missing. The browser starts with a fresh
profile (`--user-data-dir` under the given folder) and without anything that reaches the network on
its own (background networking, component updates, sync). Leaving the `with` quits the driver, then
checks /proc for any process still running with that profile and kills it by its pid, and raises if
one was left: a test can count on no Chromium surviving it. The chromedriver itself is started with
the parent-death signal, so even a killed test run takes it (and with it the browser) down.

`python -m testkit.browser screenshot PAGE.html OUT.png [WIDTH HEIGHT]` takes a full-page screenshot
(the README's docs/dashboard.png is made this way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--hide-scrollbars", "--force-device-scale-factor=1")


class BrowserMissing(RuntimeError):
    pass


def processes_using(profile: Path) -> list[int]:
    """Pids of processes whose command line names `profile` (the browser and its helpers)."""
    marker = str(profile).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@contextlib.contextmanager
def headless_chromium(root: Path, width: int = 1400, height: int = 900) -> Iterator["object"]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from cloudlink_provider.fleet.engine.env import die_with_parent

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        raise BrowserMissing("Debian's chromium and chromium-driver are not installed: run `make setup`")
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=root))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    service = Service(CHROMEDRIVER, log_output=str(root / "chromedriver.log"),
                      popen_kw={"preexec_fn": die_with_parent()})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
        left = processes_using(profile)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if left:
            raise AssertionError(f"{len(left)} Chromium process(es) outlived the browser session: killed")


def screenshot(page: Path, out: Path, width: int = 1400, height: int = 900) -> None:
    with tempfile.TemporaryDirectory() as root, headless_chromium(Path(root), width, height) as driver:
        driver.get(page.resolve().as_uri())
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(int(full) + 40, 4000))
        driver.save_screenshot(str(out))


if __name__ == "__main__":
    if len(sys.argv) not in (4, 6) or sys.argv[1] != "screenshot":
        sys.exit("usage: python -m testkit.browser screenshot PAGE.html OUT.png [WIDTH HEIGHT]")
    size = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) == 6 else (1400, 900)
    screenshot(Path(sys.argv[2]), Path(sys.argv[3]), *size)
