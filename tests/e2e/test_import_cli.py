"""`tracs import`: the operator's command line goes through the gateway like an analyst's upload."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests import files
from tests.support import Gateway
from tracs.stack import Stack


def _tracs(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    env.update(TRACS_GATEWAY_URL=stack.url("edge"), TRACS_PASSWORD="tracs-dev", COLUMNS="120")
    return subprocess.run(
        [sys.executable, "-m", "tracs.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


async def test_tracs_import_uploads_confirms_and_waits_until_cases_has_every_row(
    gateway: Gateway, stack: Stack, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    path = tmp_path / "extract.xlsx"
    path.write_bytes(
        files.xlsx(
            ["Partner ID", "Partner Country", "Surname", "Given Names"],
            [[f"{tag}-{i:04d}", "AUS", "Nguyễn", "Thị"] for i in range(1200)],
        )
    )
    result = await asyncio.to_thread(
        _tracs, stack, "import", str(path), "--program", "M5", "--kind", "partner-extract", "--confirm"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "1200 rows, 1200 valid, 0 invalid" in result.stdout
    assert "imported 1200 encounters" in result.stdout
    batch_id = result.stdout.split("batch ")[1].split(":")[0]
    assert await gateway.encounter_total(batch_id) == 1200


async def test_tracs_import_without_confirm_only_stages_and_a_refusal_exits_nonzero(
    stack: Stack, tmp_path: Path
) -> None:
    good = tmp_path / "m.csv"
    good.write_text(f"FIN,Last Name,DOB\n{uuid.uuid4().hex[:8]},Łukasz,1999-02-31\n", encoding="utf-8")
    staged = await asyncio.to_thread(_tracs, stack, "import", str(good), "--program", "KST")
    assert staged.returncode == 0, staged.stderr
    assert "Staged only" in staged.stdout and "impossible date" in staged.stdout
    bad = tmp_path / "m.pdf"
    bad.write_bytes(b"%PDF-1.4")
    refused = await asyncio.to_thread(_tracs, stack, "import", str(bad), "--program", "KST")
    assert refused.returncode == 1
    assert "upload refused (415)" in refused.stderr
