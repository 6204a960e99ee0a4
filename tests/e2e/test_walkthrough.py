"""docs/walkthrough.md, run as written against the system `make run` starts (`tracs up`, other ports only)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import docblocks
from tests.support import chromium_path, debian_tools
from tracs.infra import free_port
from tracs.stack import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "walkthrough.md"
TOOLS = ("curl", "jq", "openssl")


def _install_missing_tools() -> None:
    """The page needs curl, jq and openssl; a fresh CI machine may lack jq."""
    debian_tools(*TOOLS, why="the walkthrough")


@contextlib.contextmanager
def tracs_up(workdir: Path) -> Iterator[dict[str, str]]:
    """`tracs up` with its defaults, in a fresh directory, on free ports; stopped with `tracs stop`."""
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    env.update({f"TRACS_{name.upper()}_PORT": str(port) for name, port in ports.items() if name != "edge"})
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    args = [
        "tracs",
        "up",
        f"--pg-port={free_port()}",
        f"--kafka-port={free_port()}",
        f"--smtp-port={free_port()}",
        f"--port={ports['edge']}",
    ]
    log = (workdir / "tracs-up.out").open("wb")
    proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    gateway = f"http://127.0.0.1:{ports['edge']}"  # the public entry, as the page's readers use it
    try:
        deadline = time.monotonic() + 240
        while b"TRACS is running." not in (workdir / "tracs-up.out").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tracs up did not start:\n{(workdir / 'tracs-up.out').read_text()[-4000:]}")
            time.sleep(0.5)
        assert httpx.get(f"{gateway}/readyz", timeout=10).status_code == 200
        yield {**env, "TRACS_GATEWAY_URL": gateway}
    finally:
        subprocess.run(["tracs", "stop", "--timeout", "240"], cwd=workdir, env=env, timeout=300, check=False)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(60)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        log.close()


@pytest.mark.e2e
def test_the_walkthrough_tells_the_truth_about_the_system_make_run_starts(tmp_path: Path) -> None:
    _install_missing_tools()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    with tracs_up(tmp_path) as env:
        outcomes = docblocks.run(PAGE, cwd=tmp_path, env=env)
        _console_shows_the_walkthroughs_work(env["TRACS_GATEWAY_URL"])
    assert len(outcomes) == len(docblocks.steps(PAGE.read_text(encoding="utf-8"))) > 20


def _console_shows_the_walkthroughs_work(gateway: str) -> None:
    """The console as a newcomer opens it on `tracs up` (docs/console.md's first lines): the development login,
    the walkthrough's case in the queue with the API's own count, the case page; no provider sign-in offered."""
    from playwright.sync_api import expect, sync_playwright

    token = httpx.post(f"{gateway}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"})
    api = httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    total = api.get("/api/v1/cases/count").json()["total"]
    assert total > 0
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path("the walkthrough's console check"), args=["--no-sandbox"]
        )
        page = browser.new_page(base_url=gateway)
        page.set_default_timeout(20_000)
        page.goto("/")
        expect(page.get_by_role("link", name="Sign in with")).to_have_count(0)  # no provider is set up by tracs up
        page.get_by_label("User name").fill("analyst")
        page.get_by_label("Password").fill("tracs-dev")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_text("Signed in as")).to_contain_text("analyst")
        page.goto("/cases")
        expect(page.locator("#count")).to_have_text(f"{total:,} case" + ("" if total == 1 else "s"))
        page.get_by_label("FIN", exact=True).fill("40512337")
        page.get_by_role("button", name="Find").click()
        page.get_by_role("row").filter(has_text="AU-HVP-2026-0419").get_by_role("link").first.click()
        expect(page.get_by_role("heading", name=re.compile(r"^Encounters \(\d+\)$"))).to_be_visible()
        browser.close()
    api.close()
