"""Stored reports: the periods the schedule stores, and a period stored once and read back as it was."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.reporting import domain, exports, stored
from tests.unit.fakes import FakeUnitOfWork


@pytest.mark.parametrize(
    ("kind", "today", "period"),
    [
        ("dosr", date(2026, 1, 5), (date(2025, 12, 29), date(2026, 1, 4))),  # Monday: the ISO week just ended
        ("dosr", date(2026, 1, 4), (date(2025, 12, 22), date(2025, 12, 28))),  # Sunday: that week is not over
        ("epr", date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 31))),
        ("components", date(2024, 3, 15), (date(2024, 2, 1), date(2024, 2, 29))),  # leap February
    ],
)
def test_the_schedule_stores_the_last_complete_week_or_month(kind: str, today: date, period: tuple) -> None:
    assert domain.last_complete_period(kind, today) == period


class FakeStoredQueries:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, date, date], dict[str, Any]] = {}

    async def find(self, session: Any, kind: str, start: date, end: date) -> dict[str, Any] | None:
        row = self.rows.get((kind, start, end))
        return None if row is None else {k: v for k, v in row.items() if k not in ("json", "csv", "xlsx", "pdf")}

    async def keep(self, session: Any, row: dict[str, Any]) -> uuid.UUID | None:
        key = (row["kind"], row["period_start"], row["period_end"])
        if key in self.rows:
            return None
        self.rows[key] = row
        return row["id"]


async def test_a_period_is_stored_once_with_every_format_and_never_regenerated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeStoredQueries()
    monkeypatch.setattr(stored, "queries", fake)
    counts = iter([3, 9])

    async def build(**_: Any) -> exports.Report:
        n = next(counts)
        return exports.Report(
            "DOSR", "a week", {"days": [{"day": "2026-01-01", "matches": n}]}, [], {"note": "n", "cells": []}
        )

    monkeypatch.setitem(stored.BUILDERS, "dosr", build)
    first, new = await stored.store(
        uow=FakeUnitOfWork(), kind="dosr", start=date(2026, 1, 1), end=date(2026, 1, 7), threshold=5
    )
    again, new_again = await stored.store(
        uow=FakeUnitOfWork(), kind="dosr", start=date(2026, 1, 1), end=date(2026, 1, 7), threshold=5
    )
    assert new and not new_again and first["id"] == again["id"]
    (row,) = fake.rows.values()
    assert b'"matches":3' in row["json"] and row["pdf"].startswith(b"%PDF") and row["xlsx"].startswith(b"PK")
    assert b"matches" in row["csv"]
