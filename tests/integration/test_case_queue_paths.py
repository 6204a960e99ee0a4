"""The queue against real PostgreSQL: every sort pages by cursor and by offset through the same order, each row
carries its FIN, first encounter's name and flags from the one statement, and a case id finds its case."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, update

from services.cases.db import search, tables
from services.cases.search_rules import SORTS, STATUS_ORDER, case_id_range, parse_sort
from shared.db import create_engine, session_factory
from tests.integration.test_case_search_paths import PEOPLE
from tests.integration.test_case_search_paths import database as database

# label -> (status, assignee, program): ties on each sort key, so the (opened_at, id) tie-break is exercised.
WORK = {
    "ivanova-latin": ("in-review", "b.lee", "M5"),
    "ivanova-cyrillic": ("new", None, "PCSC"),
    "two-scripts": ("closed", "a.diaz", "M5"),
    "ivanovaite": ("in-review", None, "KST"),
    "hassan": ("new", "b.lee", "M5"),
    "hasan-latin": ("findings-ready", "a.diaz", "PCSC"),
    "annabel": ("new", None, "M5"),
    "li": ("response-sent", "b.lee", "KST"),
}
# label -> (flag, value) on the case's first encounter: only the first two are on.
FLAGS = {
    "hassan": ("derogatory", {"set": True}),
    "li": ("protected-class", {"set": True, "class": "VAWA"}),
    "annabel": ("not-sharable", {"set": False}),
    "two-scripts": ("protected-class", {"set": True}),
}


@pytest.fixture
def queue(database: str) -> str:
    asyncio.run(_work(database))
    return database


async def _work(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    c, ce = tables.cases.c, tables.case_encounters.c
    async with session_factory(engine)() as s, s.begin():
        for label, (status, assignee, program) in WORK.items():
            values = {"status": status, "assignee": assignee, "program": program}
            await s.execute(update(tables.cases).where(c.case_key == label).values(**values))
        for label, (flag, value) in FLAGS.items():
            first = select(ce.encounter_id).join(tables.cases, c.id == ce.case_id).where(c.case_key == label)
            for encounter_id in (await s.scalars(first)).all():
                await s.execute(
                    tables.flags.insert().values(
                        encounter_id=encounter_id, flag=flag, value=value, reason="test", set_by="it"
                    )
                )
    await engine.dispose()


async def _walk(url: str, sort: str, *, page: int, by_offset: bool) -> list[Any]:
    """Every page of the queue in one order, by offsets or by following the last row (the API's cursor)."""
    engine = create_engine(url, pool_size=1)
    order = parse_sort(sort)
    rows: list[Any] = []
    after: tuple[Any, ...] | None = None
    async with session_factory(engine)() as s:
        while True:
            got = await search.list_cases(
                s, filters={}, after=after, limit=page, sort=order, offset=len(rows) if by_offset else 0
            )
            rows += got
            if len(got) < page:
                break
            if not by_offset:
                last = got[-1]
                after = (last["opened_at"], last["id"]) if order.key == "opened" else (last["sort_key"], *_tail(last))
    await engine.dispose()
    return rows


def _tail(row: Any) -> tuple[Any, Any]:
    return row["opened_at"], row["id"]


def _expected(rows: list[Any], sort: str) -> list[str]:
    order = parse_sort(sort)
    keys = {
        "opened": lambda r: (),
        "status": lambda r: (STATUS_ORDER[r["status"]],),
        "assignee": lambda r: (r["assignee"] or "",),
        "program": lambda r: (r["program"],),
    }[order.key]
    ranked = sorted(rows, key=lambda r: (*keys(r), r["opened_at"], r["id"]), reverse=order.descending)
    return [r["case_key"] for r in ranked]


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_by_cursor_and_by_offset_through_one_order(queue: str, sort: str) -> None:
    whole = asyncio.run(_walk(queue, sort, page=100, by_offset=False))
    assert len(whole) == len(PEOPLE)
    assert [r["case_key"] for r in whole] == _expected(whole, sort)
    for by_offset in (False, True):
        paged = asyncio.run(_walk(queue, sort, page=3, by_offset=by_offset))
        assert [r["case_key"] for r in paged] == [r["case_key"] for r in whole], (sort, by_offset)


def test_newest_first_is_oldest_first_reversed_and_status_follows_the_workflow(queue: str) -> None:
    oldest = [r["case_key"] for r in asyncio.run(_walk(queue, "opened", page=100, by_offset=False))]
    newest = [r["case_key"] for r in asyncio.run(_walk(queue, "-opened", page=100, by_offset=False))]
    assert newest == oldest[::-1] and oldest[0] == "ivanova-latin"
    by_status = [r["status"] for r in asyncio.run(_walk(queue, "status", page=100, by_offset=False))]
    assert list(dict.fromkeys(by_status)) == ["new", "in-review", "findings-ready", "response-sent", "closed"]


def test_a_row_carries_its_fin_first_encounter_s_name_and_flags_that_are_on(queue: str) -> None:
    rows = {r["case_key"]: r for r in asyncio.run(_walk(queue, "opened", page=100, by_offset=False))}
    assert rows["hassan"]["fin"] == "hassan" and rows["hassan"]["listed_last_name"] == "حسن"
    assert (rows["two-scripts"]["listed_last_name"], rows["two-scripts"]["listed_first_name"]) == ("Иванова", "Мария")
    assert rows["hassan"]["flags"] == ["derogatory"] and rows["li"]["flags"] == ["protected-class"]
    assert not rows["annabel"]["flags"] and not rows["two-scripts"]["flags"]  # cleared; a class not named


async def _find(url: str, typed: str) -> tuple[list[str], int]:
    return await _listed_and_counted(url, {"case_ids": case_id_range(typed)})


async def _listed_and_counted(url: str, filters: dict[str, Any]) -> tuple[list[str], int]:
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as s:
        rows = await search.list_cases(s, filters=filters, after=None, limit=10)
        total = await search.count_cases(s, filters=filters)
    await engine.dispose()
    return [r["case_key"] for r in rows], total


def test_a_case_is_found_by_its_whole_id_or_its_short_one(queue: str) -> None:
    li = next(r for r in asyncio.run(_walk(queue, "opened", page=100, by_offset=False)) if r["case_key"] == "li")
    assert asyncio.run(_find(queue, str(li["id"]))) == (["li"], 1)
    assert asyncio.run(_find(queue, str(li["id"])[:8].upper())) == (["li"], 1)
    assert asyncio.run(_find(queue, "00000000")) == ([], 0)


def test_the_page_and_the_count_agree_on_a_fin_and_on_an_empty_one(queue: str) -> None:
    rows, total = asyncio.run(_listed_and_counted(queue, {"fin": "hassan"}))
    assert (rows, total) == (["hassan"], 1)
    # An empty FIN filters nothing, in the page as in the count (a blank field is no filter).
    assert asyncio.run(_listed_and_counted(queue, {"fin": ""})) == asyncio.run(_listed_and_counted(queue, {}))
