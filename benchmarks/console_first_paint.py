"""Console first paint: how long the case queue takes to show in Debian's chromium (Playwright), and the server's
part of it, with N cases imported through the API. Figures only, never pass/fail; the issue asks for under
300 ms locally.

    .venv/bin/python benchmarks/console_first_paint.py [--cases 2000] [--runs 30] [--url http://127.0.0.1:8000]

Without --url it starts PostgreSQL, the broker, intake, cases and the gateway of its own and imports the cases;
with --url it measures a system already running (`make run`) as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from shared.events import topics
from shared.kafka import ensure_topics
from shared.settings import TracsSettings
from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import DEFAULT_PORTS, Stack

HEADER = ["FIN", "Surname", "Given Names", "DOB", "Encounter Date", "O/U/S", "Data Owner", "Result", "Partner Ref"]
SURNAMES = ["Иванова", "Nguyen", "García", "Παπαδόπουλος", "Okafor", "Müller", "حسن", "Smith"]


# The first contentful paint of the page just loaded, from the navigation's start (waits until it is recorded).
FIRST_PAINT = """() => new Promise(resolve => new PerformanceObserver(list => {
  const entry = list.getEntriesByName('first-contentful-paint')[0];
  if (entry) resolve(entry.startTime);
}).observe({type: 'paint', buffered: true}))"""


def chromium() -> str:
    """Debian's chromium (the browser tests install it when missing: `apt-get install chromium`)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SystemExit("needs Debian's chromium: apt-get install chromium")
    return found


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode()


def load(gateway: str, cases: int) -> float:
    """One CSV of `cases` people through intake; returns the seconds until cases has them all."""
    rows = [
        [str(20_000_000 + i), SURNAMES[i % len(SURNAMES)], "Test", f"{1950 + i % 50}-01-0{1 + i % 9}", "2024-03-01",
         "CBP/OFO/JFK", "CBP", "MATCH", f"AU-BENCH-{i}"]
        for i in range(cases)
    ]  # fmt: skip
    token = httpx.post(f"{gateway}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    started = time.monotonic()
    with httpx.Client(base_url=gateway, headers=headers, timeout=300) as api:
        batch = api.post(
            "/api/v1/intake/batches",
            files={"file": ("bench.csv", csv_bytes(rows), "text/csv")},
            data={"program": "M5", "kind": "partner-query", "partner_country": "AUS"},
        ).json()
        api.post(f"/api/v1/intake/batches/{batch['id']}/confirm").raise_for_status()
        while api.get("/api/v1/encounters", params={"batch_id": batch["id"], "limit": 1}).json()["total"] < cases:
            time.sleep(0.5)
    return time.monotonic() - started


def measure(gateway: str, runs: int) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(base_url=gateway)
        page.goto("/login")
        page.get_by_label("User name").fill("analyst")
        page.get_by_label("Password").fill("tracs-dev")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        cookie = {c["name"]: c["value"] for c in page.context.cookies()}
        paint, counted, served, api = [], [], [], []
        for _ in range(runs + 1):
            page.goto("/cases")
            paint.append(page.evaluate(FIRST_PAINT))
            # The count arrives after first paint (htmx); waiting for it keeps one view's count from running
            # into the next view's measurement.
            page.locator("#count", has_text=re.compile(r"[0-9]")).wait_for()
            counted.append(page.evaluate("performance.now()"))
        token = httpx.post(f"{gateway}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=gateway, cookies=cookie, timeout=60) as client:
            for _ in range(runs + 1):
                started = time.perf_counter()
                client.get("/cases").raise_for_status()
                served.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                client.get("/api/v1/cases", params={"limit": 50}, headers=bearer).raise_for_status()
                api.append((time.perf_counter() - started) * 1000)
        browser.close()
    for name, values in (
        ("first contentful paint of /cases", paint[1:]),
        ("server answer of /cases (the page)", served[1:]),
        ("GET /api/v1/cases?limit=50 (the page's data, as any tool gets it)", api[1:]),
        ("the count shown (after first paint)", counted[1:]),
    ):
        q = statistics.quantiles(values, n=20, method="inclusive")  # never past the max
        print(f"{name}: p50 {statistics.median(values):.0f} ms, p95 {q[18]:.0f} ms, max {max(values):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--url", help="a running system's gateway (nothing is imported)")
    args = parser.parse_args()
    if args.url:
        measure(args.url.rstrip("/"), args.runs)
        return
    work = Path(tempfile.mkdtemp(prefix="tracs-bench-"))
    pg = Postgres(work / "postgres", free_port())
    pg.start()
    broker = Tansu(free_port())
    stack: Stack | None = None
    try:
        broker.start()
        asyncio.run(ensure_topics(TracsSettings(kafka_bootstrap=broker.bootstrap), topics.all_with_dlq()))
        stack = Stack(
            var=work / "var",
            database_url=pg.url,
            kafka_bootstrap=broker.bootstrap,
            ports={name: free_port() for name in DEFAULT_PORTS},
            extra_env={"TRACS_LOG_LEVEL": "WARNING"},
        )
        for name in ("intake", "cases", "gateway", "edge"):
            stack.start(name)
            stack.wait_ready(name)
        took = load(stack.url("edge"), args.cases)
        print(f"cases: {args.cases:,} imported through the API in {took:.1f} s")
        measure(stack.url("edge"), args.runs)
    finally:
        if stack:
            stack.stop_all()
        broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
