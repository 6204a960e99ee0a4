"""docs/walkthrough.md, run as written against the system `make run` starts (`tracs up`, other ports only)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import docblocks
from tests.support import debian_tools
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
    env.update({f"TRACS_{name.upper()}_PORT": str(port) for name, port in ports.items() if name != "gateway"})
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    args = [
        "tracs",
        "up",
        f"--pg-port={free_port()}",
        f"--kafka-port={free_port()}",
        f"--smtp-port={free_port()}",
        f"--gateway-port={ports['gateway']}",
    ]
    log = (workdir / "tracs-up.out").open("wb")
    proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    gateway = f"http://127.0.0.1:{ports['gateway']}"
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
    assert len(outcomes) == len(docblocks.steps(PAGE.read_text(encoding="utf-8"))) > 20
