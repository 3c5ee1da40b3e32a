"""A running OrgWell (`orgwell run-all`: web, worker and beat, as `make run` starts it) and
a real Chromium driven by Playwright. Chromium is Debian's /usr/bin/chromium, never a
downloaded browser; screenshots go to test-output/browser/<test name>/."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.services import SERVICES_REQUIRED

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orgwell(env: dict, *args: str) -> str:
    """Run an `orgwell` command against the test instance; fail the test on error."""
    result = subprocess.run(
        [str(BIN / "orgwell"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A fresh instance folder, migrated, served by `orgwell run-all` until the module ends."""
    instance = tmp_path_factory.mktemp("instance")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ORGWELL_ENV": "development",
        "ORGWELL_INSTANCE_PATH": str(instance),
        "ORGWELL_MAIL_BACKEND": "dev",
        "ORGWELL_BASE_URL": base_url,
    }
    for key in ("ORGWELL_DATABASE_URL", "ORGWELL_BROKER_URL", "SECRET_KEY"):
        env.pop(key, None)
    orgwell(env, "db", "upgrade")
    log = open(instance / "run-all.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [str(BIN / "orgwell"), "run-all", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_healthy(base_url, process, instance / "run-all.log")
        yield {"url": base_url, "env": env, "instance": instance}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _wait_healthy(base_url: str, process, log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"orgwell run-all exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urlopen(f"{base_url}/healthz", timeout=3) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"/healthz never became ok:\n{log_path.read_text()[-3000:]}")


class PageWatch:
    """What went wrong inside the pages a test opened: uncaught script errors fail the test
    (a page whose script broke is a broken page); failed requests are listed beside them,
    as the likely cause, since a test that only times out does not say why."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}: {r.failure}"))

    def report(self) -> str:
        return "\n".join(
            ["uncaught script errors:", *self.errors, "failed requests:", *self.failed]
        )


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = "needs Debian's Chromium at /usr/bin/chromium: apt-get install chromium"
        if SERVICES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        browser.page_watch = PageWatch()
        new_context = browser.new_context

        def watched_context(**options):
            context = new_context(**options)
            context.on("page", browser.page_watch.watch)
            return context

        browser.new_context = watched_context
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def page_problems(request):
    """Each browser test starts with an empty PageWatch and ends with its findings checked."""
    if "browser" not in request.fixturenames:
        yield
        return
    watch = request.getfixturevalue("browser").page_watch = PageWatch()
    yield
    if watch.errors or watch.failed:
        request.node.add_report_section("call", "browser", watch.report())
    assert not watch.errors, watch.report()


@pytest.fixture
def shots(request):
    """Save a numbered full-page screenshot: shots(page, "name")."""
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="module")
def demo_stack(stack):
    """The running stack with `orgwell demo` loaded (accounts with the demo password)."""
    from orgwell.demo import DEMO_PASSWORD

    orgwell(stack["env"], "demo")
    return {**stack, "password": DEMO_PASSWORD}
