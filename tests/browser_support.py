"""What the browser tests share: the built site served on 127.0.0.1, and Debian's chromium.

A test module imports the fixtures it uses (`from .browser_support import site_url, browser,
page`). The site is served by `http.server` in a thread; every request to any other host (or
for a file outside site/) is refused and recorded, and the browser fixture fails when there was one, so each test also
proves the site reads fully offline. Without chromium, playwright or a built site the tests
are skipped on a developer's machine, and fail in CI (where `CI` is set): there they must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
SHOTS = REPO / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
IN_CI = bool(os.environ.get("CI"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def needs(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; in CI the test must run."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI is set, so the browser test must run)")
        pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url():
    needs(Path(CHROMIUM).is_file(), f"{CHROMIUM} is not installed (apt-get install chromium fonts-wqy-microhei)")
    needs((SITE / "index.html").is_file() and (SITE / "en" / "index.html").is_file(),
          "site/ is not built: run make build")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(site_url, tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        needs(False, "the playwright package is not installed (pip install -e '.[dev]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900}, locale="zh-CN")

        def only_this_machine(route):
            url = route.request.url
            # the server on 127.0.0.1, or the files of site/ themselves when a page is opened from them
            if url.startswith(("data:", "blob:", SITE.as_uri() + "/")) or urlsplit(url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        context.outside = outside
        try:
            yield context
        finally:
            context.close()
    assert not outside, f"the site asked the internet for {outside}"


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, f"script errors on the page: {errors}"


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def shot(page, name: str, full_page: bool = False) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path
