"""The import preview pages its row problems by invalid row, as the API does, and says how many there are."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.unit.gateway.console_fake import FakeApi, console_client, text_of

BID = str(uuid.uuid4())


def _batch(**extra: Any) -> dict[str, Any]:
    base = {
        "id": BID, "file_name": "matches.xlsx", "program": "M5", "upload_kind": "partner-query", "status": "staged",
        "partner_country": "AUS", "rows_total": 2600, "rows_valid": 100, "rows_invalid": 2500, "rows_no_match": 0,
        "rows_imported": 0, "rows_attached": 0, "rows_failed": 0, "progress": "staged", "failures": [],
        "created_by": "analyst", "created_at": "2026-11-26T10:00:00Z", "notices": [], "partner_coverage": [],
        "mapping": {"columns": [], "unmapped": []}, "preview": [], "staging_purged_at": None,
    }  # fmt: skip
    return {**base, **extra}


def _page(fake: FakeApi, query: str = "") -> str:
    analyst = console_client(fake, "analyst", {"analyst"}, {"M5"})
    page = analyst.get(f"/imports/{BID}{query}")
    assert page.status_code == 200, page.text
    return page.text


def test_problems_beyond_a_page_are_reached_by_next_and_previous() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/intake/batches/{BID}", _batch())
    problems = f"/api/v1/intake/batches/{BID}/problems"
    fake.on("GET", problems, [{"row": 1002, "column": "DOB", "value": "31/02/1990", "reason": "impossible date"}])
    first = _page(fake)
    assert "Row problems (2,500 invalid rows)" in first and "Invalid rows 1\u20131,000 of 2,500" in first
    assert f'href="/imports/{BID}?rows_from=1000#h-problems"' in first and "Previous" not in first
    middle = _page(fake, "?rows_from=1000")
    assert fake.params("GET", problems)[-1] == {"limit": "1000", "offset": "1000"}
    assert "Invalid rows 1,001\u20132,000 of 2,500" in middle and "impossible date" in middle
    assert re.search(rf'href="/imports/{BID}\?rows_from=0#h-problems">Previous', middle)
    last = _page(fake, "?rows_from=2000")
    assert "Invalid rows 2,001\u20132,500 of 2,500" in last and ">Next" not in last


def test_a_few_problems_need_no_paging_and_purged_rows_are_said_to_be_purged() -> None:
    fake = FakeApi()
    fake.on("GET", f"/api/v1/intake/batches/{BID}", _batch(rows_invalid=3, rows_total=103))
    fake.on("GET", f"/api/v1/intake/batches/{BID}/problems", [])
    assert "Pages of row problems" not in _page(fake)
    fake.on("GET", f"/api/v1/intake/batches/{BID}", _batch(rows_invalid=3, staging_purged_at="2026-12-26T00:00:00Z"))
    assert "were purged 2026-12-26 00:00 UTC under the retention rule" in text_of(_page(fake))
