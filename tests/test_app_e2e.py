"""The web app end to end in a real browser: first start, search in both languages, upload.

The app is started with ``streamlit run`` on a fresh data directory, so it builds the index of
the default corpus itself, and driven with Debian's chromium through Playwright.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
QUESTION_BOX = "input[aria-label='Your question']"
QUESTION_EN = "how to involve unemployed residents in waste work"
QUESTION_DA = "hvordan inddrager man unge i byudvikling?"
UPLOAD_TEXT = """Kolonihave-samskabelse i Nordby

I Nordby har kommunen og kolonihaveforeningen Solsikken siden 2023 drevet en fælles \
samskabelse om de tomme haver. Ledige borgere, skoleklasser og beboere fra det almene \
boligområde passer hver sin have, og foreningen låner redskaber ud fra et fælles skur.

Erfaringer: Det vigtigste var en fast kontaktperson i kommunen og et årligt høstmarked, hvor \
alle haver blev vist frem. Ventelisten til kolonihaverne er blevet kortere, og flere nye \
grupper er kommet med i foreningens bestyrelse.
"""
# Table exports keep raw markup: it must show as text, never run.
HOSTILE_ROW = {
    "title": "Nordby garden diary <script>window.__pwned = 1</script>",
    "text": 'Allotment gardeners in Nordby <img src=x onerror="window.__pwned = 2"> kept a '
    "diary about compost and shared tools. [click](javascript:window.__pwned=3) **bold**",
}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def streamlit_command(port: int) -> list[str]:
    """``streamlit run app.py`` of this checkout on ``port``."""
    return [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


class AppServer:
    """The app as a child process on a free port (``streamlit run app.py`` by default)."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        command: Callable[[int], list[str]] = streamlit_command,
        cwd: Path = REPO,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.command = command
        self.cwd = cwd
        self.env = env if env is not None else dict(os.environ)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> float:
        """Start and wait until the server answers; returns the seconds that took."""
        env = {
            **self.env,
            "CASESEARCH_DATA_DIR": str(self.data_dir),
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        started = time.perf_counter()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command(self.port),
            cwd=self.cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}")
            health = f"{self.url}/_stcore/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2) as resp:
                if resp.status == 200:
                    return time.perf_counter() - started
            time.sleep(0.3)
        raise TimeoutError(f"streamlit did not answer within {timeout} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@contextlib.contextmanager
def browser_page(viewport: tuple[int, int] = (1400, 1600)) -> Iterator[object]:
    """A Playwright page in Debian's headless chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


def wait_ready(page, timeout_s: float = 300) -> None:
    """Wait until the question box is on the page (after a first build, if any)."""
    page.locator(QUESTION_BOX).wait_for(state="visible", timeout=timeout_s * 1000)


def ask(page, question: str, timeout_s: float = 60) -> float:
    """Type a question, press Enter, wait for its results; returns seconds until they show."""
    box = page.locator(QUESTION_BOX)
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """q => {
            const fresh = el => {
                const box = el.closest('[data-stale]');
                return !box || box.getAttribute('data-stale') !== 'true';
            };
            const asked = [...document.querySelectorAll('.cs-query')]
                .some(e => e.textContent === q && fresh(e));
            return asked && [...document.querySelectorAll('.cs-title')].some(fresh);
        }""",
        arg=" ".join(question.split()),
        timeout=timeout_s * 1000,
    )
    return time.perf_counter() - started


def wait_complete(page, timeout_s: float = 60) -> None:
    """Wait until the app's script run is over (results marked, all widgets drawn)."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=timeout_s * 1000,
    )


def results(page) -> list[dict[str, str]]:
    """Title and language badge of every result card on the page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.cs-head')].map(h => ({
            title: h.querySelector('.cs-title').textContent,
            lang: (h.nextElementSibling.querySelector('.cs-badge') || {}).textContent || '',
        }))"""
    )


def fresh_data_dir(model_data_dir: Path, target: Path) -> Path:
    """An empty data directory holding only the converted model (saves its conversion)."""
    target.mkdir(parents=True, exist_ok=True)
    models = model_data_dir / "models"
    if models.is_dir():
        shutil.copytree(models, target / "models", dirs_exist_ok=True)
    return target


@pytest.fixture(scope="module")
def server(embedder, model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install chromium, or `make browser`)")
    data_dir = fresh_data_dir(model_dir, tmp_path_factory.mktemp("app-fresh"))
    assert not (data_dir / "index").exists()
    app = AppServer(data_dir, OUTPUT / "e2e-server.log")
    try:
        app.start()
        yield app
    finally:
        app.stop()


pytestmark = pytest.mark.slow


def test_browser_first_start_search_and_upload(server: AppServer, tmp_path: Path) -> None:
    OUTPUT.mkdir(exist_ok=True)
    with browser_page() as page:
        page.goto(server.url)
        page.get_by_text("Setting up").wait_for(timeout=60_000)
        with contextlib.suppress(Exception):  # the picture only; a fast build may skip it
            page.get_by_text("Indexing passages").wait_for(timeout=120_000)
            page.screenshot(path=str(OUTPUT / "app-first-start.png"))
        wait_ready(page)
        assert (server.data_dir / "index" / "manifest.json").exists()

        ask(page, QUESTION_EN)
        wait_complete(page)
        found = results(page)
        assert any("URBAN PLANEN" in r["title"] for r in found[:3]), found
        assert page.get_by_text("Your question looks English").is_visible()
        assert page.locator("mark.cs-hl").count() > 0
        page.screenshot(path=str(OUTPUT / "app-search-en.png"), full_page=True)

        ask(page, QUESTION_DA)
        wait_complete(page)
        found = results(page)
        assert any(r["lang"] == "Danish" for r in found[:3]), found
        page.screenshot(path=str(OUTPUT / "app-search-da.png"), full_page=True)

        # Upload a new case, a hostile table export and a broken PDF.
        (tmp_path / "kolonihave-nordby.txt").write_text(UPLOAD_TEXT, encoding="utf-8")
        (tmp_path / "garden-diary.jsonl").write_text(
            json.dumps(HOSTILE_ROW) + "\n", encoding="utf-8"
        )
        (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
        page.goto(f"{server.url}/corpus")
        page.get_by_role("tab", name="Add case files").click()
        page.locator("input[type=file]").set_input_files(
            [
                str(tmp_path / "kolonihave-nordby.txt"),
                str(tmp_path / "garden-diary.jsonl"),
                str(tmp_path / "broken.pdf"),
            ]
        )
        page.get_by_role("button", name="Add to the search index").click()
        page.get_by_text("They can be found on the Search page now").wait_for(timeout=180_000)
        page.get_by_text("broken.pdf was not added").wait_for(timeout=10_000)
        page.screenshot(path=str(OUTPUT / "app-upload.png"), full_page=True)
        assert (server.data_dir / "uploads" / "kolonihave-nordby.txt").exists()

        page.goto(server.url)
        wait_ready(page)
        ask(page, "kolonihave samskabelse i Nordby")
        wait_complete(page)
        found = results(page)
        assert any("Kolonihave-samskabelse i Nordby" in r["title"] for r in found[:3]), found

        ask(page, "allotment garden diary compost Nordby")
        wait_complete(page)
        titles = [r["title"] for r in results(page)]
        assert any("<script>" in t for t in titles), titles  # shown as text
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator(".cs-excerpt script, .cs-excerpt img, .cs-title script").count() == 0
        page.screenshot(path=str(OUTPUT / "app-search-upload.png"), full_page=True)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's headless chromium through Playwright, for several browser contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def person(browser, locale: str):
    """A new browser profile whose browser asks for ``locale`` (navigator and Accept-Language)."""
    context = browser.new_context(
        locale=locale, viewport={"width": 1400, "height": 1600}, accept_downloads=True
    )
    return context.new_page()


def test_browser_danish_export_share_and_more_like_this(server: AppServer, tmp_path: Path) -> None:
    import pandas as pd

    OUTPUT.mkdir(exist_ok=True)
    with chromium() as browser:
        page = person(browser, "da-DK")
        page.goto(server.url)
        # A Danish browser gets the Danish interface, and the link says so.
        page.locator("input[aria-label='Dit spørgsmål']").wait_for(timeout=300_000)
        page.wait_for_url("**lang=da**", timeout=30_000)
        assert page.get_by_text("Prøv et spørgsmål på dansk").is_visible()

        box = page.locator("input[aria-label='Dit spørgsmål']")
        box.fill(QUESTION_DA)
        box.press("Enter")
        page.wait_for_function(
            "q => [...document.querySelectorAll('.cs-query')].some(e => e.textContent === q)",
            arg=QUESTION_DA,
            timeout=60_000,
        )
        wait_complete(page)
        found = [r["title"] for r in results(page)]
        assert found and all(r["lang"] in ("Dansk", "Engelsk") for r in results(page))
        assert page.get_by_text("Sådan matches").is_visible()  # the sidebar speaks Danish
        page.screenshot(path=str(OUTPUT / "app-danish.png"), full_page=True)

        # Export the list as CSV and read it back.
        with page.expect_download(timeout=30_000) as info:
            page.locator("[data-testid='stDownloadButton'] button", has_text="CSV").click()
        csv_path = tmp_path / "export.csv"
        info.value.save_as(str(csv_path))
        table = pd.read_csv(csv_path, encoding="utf-8-sig")
        assert table["Titel"].tolist() == found
        assert table["Spørgsmål"].iloc[0] == QUESTION_DA
        assert table["Placering"].tolist() == list(range(1, len(found) + 1))
        assert table["Relevans"].between(0, 1).all()

        # The address is a link: a colleague opening it sees the same list, in Danish.
        link = page.url
        assert "q=" in link and "lang=da" in link
        colleague = person(browser, "en-US")  # an English browser, a Danish link
        colleague.goto(link)
        colleague.wait_for_function(
            "q => [...document.querySelectorAll('.cs-query')].some(e => e.textContent === q)",
            arg=QUESTION_DA,
            timeout=120_000,
        )
        wait_complete(colleague)
        colleague.screenshot(path=str(OUTPUT / "app-shared-link.png"), full_page=True)
        assert [r["title"] for r in results(colleague)] == found
        shared_box = colleague.locator("input[aria-label='Dit spørgsmål']")
        shared_box.wait_for(state="visible", timeout=30_000)
        assert shared_box.input_value() == QUESTION_DA
        colleague.close()

        # More like this, from the first result.
        page.get_by_role("button", name="Flere som denne").first.click()
        heading = page.get_by_role("heading", name=f"Cases som “{found[0]}”")
        heading.wait_for(timeout=60_000)
        wait_complete(page)
        similar = [r["title"] for r in results(page)]
        assert similar and found[0] not in similar
        assert "like=" in page.url
        page.screenshot(path=str(OUTPUT / "app-more-like-this.png"), full_page=True)
