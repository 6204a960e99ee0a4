"""`tracs import`: an operator uploads a spreadsheet through the gateway, the same path analysts use."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn


class ImportFailed(Exception):
    """The gateway refused a step; the message is the gateway's own explanation."""


@dataclass
class ProgressReader:
    """A file object that reports how far the upload has read it."""

    raw: IO[bytes]
    progress: Progress
    task: int

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.progress.advance(self.task, len(chunk))
        return chunk


def _check(response: httpx.Response, step: str) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise ImportFailed(f"{step} refused ({response.status_code}): {detail}")
    return response.json()


def run_import(
    *,
    path: Path,
    program: str,
    kind: str,
    partner: str | None = None,
    gateway: str,
    username: str,
    password: str,
    confirm: bool,
    block_on_invalid: bool,
    wait_seconds: float,
    console: Console,
) -> dict[str, Any]:
    with httpx.Client(base_url=gateway, timeout=600) as client:
        token = _check(client.post("/api/v1/auth/token", data={"username": username, "password": password}), "login")[
            "access_token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=console, transient=False) as progress, path.open("rb") as fh:
            task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
            batch = _check(
                client.post(
                    "/api/v1/intake/batches",
                    files={"file": (path.name, ProgressReader(fh, progress, task))},  # type: ignore[dict-item]
                    data={"program": program, "kind": kind, **({"partner_country": partner} if partner else {})},
                    headers=auth,
                ),
                "upload",
            )
        _summarise(batch, console)
        if not confirm:
            console.print(
                f"Staged only. Confirm with: tracs import … --confirm, or POST "
                f"/api/v1/intake/batches/{batch['id']}/confirm"
            )
            return batch
        batch = _check(
            client.post(
                f"/api/v1/intake/batches/{batch['id']}/confirm",
                params={"block_on_invalid": str(block_on_invalid).lower()},
                headers=auth,
            ),
            "confirm",
        )
        _wait_for_cases(client, auth, batch, wait_seconds, console)
        return batch


def _summarise(batch: dict[str, Any], console: Console) -> None:
    console.print(
        f"batch {batch['id']}: {batch['rows_total']} rows, {batch['rows_valid']} valid, "
        f"{batch['rows_invalid']} invalid, {batch['rows_no_match']} no-match (not imported)"
    )
    if batch["mapping"]["unknown_columns"]:
        console.print(f"unknown columns kept as extras: {', '.join(batch['mapping']['unknown_columns'])}")
    for notice in batch["notices"]:
        console.print(f"note: {notice}")
    for p in batch["problems"][:20]:
        where = f"row {p['row']}" + (f", column {p['column']!r}" if p["column"] else "")
        console.print(f"  {where}: {p['reason']}")
    if batch["rows_invalid"] > 20:
        console.print(f"  … see GET /api/v1/intake/batches/{batch['id']}/problems for all of them")


def _wait_for_cases(
    client: httpx.Client, auth: dict[str, str], batch: dict[str, Any], wait_seconds: float, console: Console
) -> None:
    """Follow the batch until cases has answered for every row: attached, or named as failed."""
    expected = batch["rows_imported"]
    deadline = time.monotonic() + wait_seconds
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rows attached in cases", total=expected)
        while True:
            batch = _check(client.get(f"/api/v1/intake/batches/{batch['id']}", headers=auth), "progress check")
            progress.update(task, completed=batch["rows_attached"] + batch["rows_failed"])
            if batch["progress"] == "done":
                break
            if time.monotonic() > deadline:
                raise ImportFailed(
                    f"only {batch['rows_attached']} of {expected} rows attached in cases after {wait_seconds}s"
                )
            time.sleep(0.5)
    console.print(f"imported {batch['rows_attached']} encounters from batch {batch['id']}")
    if batch["rows_failed"]:
        console.print(f"{batch['rows_failed']} row(s) could not be applied in cases:")
        for f in batch["failures"][:20]:
            console.print(f"  row {f['row_number']}: {f['reason']}")
        if batch["rows_failed"] > 20:
            console.print(f"  … see GET /api/v1/intake/batches/{batch['id']}/failures for all of them")
