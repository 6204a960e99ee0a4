"""The benchmark workbook (100,000 rows x 25 columns of non-ASCII names) and how its runs are measured.

Shared by the import benchmark and its floor, so both read the same file and count CPU the same way.
"""

from __future__ import annotations

import contextlib
import random
import time
from datetime import date, timedelta
from pathlib import Path

import psutil
import python_calamine
import xlsxwriter

HEADER = [
    "FIN",
    "EID",
    "Last Name",
    "First Name",
    "Middle Name",
    "Aliases",
    "DOB",
    "Country of Birth",
    "Gender",
    "Nationality",
    "Document Country",
    "Document Number",
    "Document Type",
    "Passport Number",
    "A-Number",
    "Encounter Date",
    "Reason Fingerprinted",
    "Location Fingerprinted",
    "OUS",
    "Data Owner",
    "Fast Matcher",
    "Match Result",
    "Partner Country",
    "Transaction Number",
    "Search Code",
]
SURNAMES = ["Müller", "Иванов", "李", "García", "Nguyễn", "Al-Hassan", "O'Brien", "Øster", "Kowalski", "Smith"]
GIVEN = ["José", "Иван", "小龙", "Zoë", "Thị", "نور", "Seán", "Åse", "Łukasz", "Ann"]
COUNTRIES = ["DEU", "RUS", "CHN", "ESP", "VNM", "JOR", "IRL", "NOR", "POL", "USA"]


def build_workbook(path: Path, rows: int) -> None:
    rng = random.Random(7)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Matches")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER)
    start = date(2018, 1, 1)
    for r in range(1, rows + 1):
        i = rng.randrange(10)
        values = [
            f"{r:010d}",
            f"E{r:09d}",
            SURNAMES[i],
            GIVEN[i],
            "",
            "",
            f"{1950 + r % 50}-{1 + r % 12:02d}-{1 + r % 28:02d}",
            COUNTRIES[i],
            "MF"[r % 2],
            COUNTRIES[(i + 1) % 10],
            COUNTRIES[i],
            f"{r:09d}",
            "passport",
            f"P{r:08d}",
            f"A{r:09d}",
            None,
            "visa application",
            "London",
            "UKVI/ASC/01",
            "DOS",
            "",
            "MATCH",
            "GBR",
            f"T{r:08d}",
            "SC1",
        ]
        for c, v in enumerate(values):
            if c == 15:
                ws.write_datetime(r, c, start + timedelta(days=r % 2000), date_fmt)
            elif v:
                ws.write_string(r, c, v)
    wb.close()


def calamine_seconds(path: Path) -> float:
    t = time.perf_counter()
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    n = sum(1 for _ in sheet.iter_rows())
    elapsed = time.perf_counter() - t
    assert n > 1
    return elapsed


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children, live and reaped (PostgreSQL's backends are children)."""
    proc = psutil.Process(pid)
    t = proc.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            c = child.cpu_times()
            total += c.user + c.system
    return total


# What subtracting an idle rate cannot resolve: CPU clock ticks (10 ms) plus the spread of a rate sampled over
# seconds and extrapolated over minutes (background loops are bursty: a relay round, a gauge, a poll).
RESOLUTION_SECONDS = 0.05
RESOLUTION_SHARE = 0.10


def import_own_cpu(total: float, background: float) -> float:
    """CPU seconds a process spent on the import itself: its total during the import less its background
    (idle rate x elapsed). Never negative; 0 when the difference is within what the estimate resolves, so a
    process that only ran its background loops reads 0, not -0.3."""
    own = total - background
    return own if own > RESOLUTION_SECONDS + RESOLUTION_SHARE * background else 0.0


def own_cpu_text(total: float, background: float) -> str:
    own = import_own_cpu(total, background)
    return f"{own:.1f}" if own else "~0 (background only)"


def rows_of(path: Path) -> list[dict[str, str]]:
    """The workbook's rows as header -> cell text, blank cells left out (as intake stages them)."""
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = iter(sheet.iter_rows())
    header = [str(h) for h in next(rows)]
    return [{h: str(v) for h, v in zip(header, row, strict=False) if v != ""} for row in rows]
