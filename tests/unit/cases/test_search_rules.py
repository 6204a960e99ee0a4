"""The queue's order and case-id rules, and its cursors: a sort outside the fixed list is refused naming the
allowed values, a short id stands for every id it starts, a cursor only continues the search and order it came
from."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.cases import search
from services.cases.search_rules import DEFAULT_SORT, SORTS, Sort, case_id_range, parse_sort
from shared.errors import Invalid

CASE = uuid.UUID("3f2a9c1e-0b7d-4e58-9a61-2c4d8e0f1b23")
OPENED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_each_column_sorts_both_ways_and_the_api_default_stays_oldest_first() -> None:
    assert SORTS == ("opened", "-opened", "status", "-status", "assignee", "-assignee", "program", "-program")
    assert parse_sort(None) == Sort("opened", False) and DEFAULT_SORT == "opened"
    assert parse_sort("-opened") == Sort("opened", True) and parse_sort("status").name == "status"
    assert parse_sort(" -assignee ").name == "-assignee"


@pytest.mark.parametrize("typed", ["age", "opened_at", "--opened", "Status", "", "+program"])
def test_an_unknown_sort_is_refused_naming_every_allowed_value(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_sort(typed or " ")
    assert refused.value.status_code == 422
    assert all(s in refused.value.message for s in SORTS), refused.value.message


def test_a_whole_id_stands_for_itself_and_a_short_one_for_every_id_it_starts() -> None:
    assert case_id_range(str(CASE)) == (CASE, CASE)
    assert case_id_range(f" {str(CASE).upper()} ") == (CASE, CASE)
    low, high = case_id_range("3F2A9C1E")
    assert str(low) == "3f2a9c1e-0000-0000-0000-000000000000" and str(high) == "3f2a9c1e-ffff-ffff-ffff-ffffffffffff"
    assert low <= CASE <= high


@pytest.mark.parametrize("typed", ["3f2a9c1", "3f2a9c1e0", "3f2a9c1g", "case 3f2a", "3f2a9c1e-0b7d"])
def test_anything_else_typed_as_a_case_id_is_refused_in_words(typed: str) -> None:
    with pytest.raises(Invalid, match="neither a case id nor the 8-character short id"):
        case_id_range(typed)


def _row(**extra: object) -> dict[str, object]:
    return {"opened_at": OPENED, "id": CASE, **extra}


@pytest.mark.parametrize(
    ("sort", "row", "after"),
    [
        ("opened", _row(), (OPENED, CASE)),
        ("-opened", _row(), (OPENED, CASE)),
        ("-status", _row(sort_key=2), (2, OPENED, CASE)),
        ("assignee", _row(sort_key=""), ("", OPENED, CASE)),
        ("program", _row(sort_key="M5"), ("M5", OPENED, CASE)),
    ],
)
def test_a_cursor_continues_its_own_order(sort: str, row: dict[str, object], after: tuple[object, ...]) -> None:
    order = parse_sort(sort)
    assert search.decode_cursor(search.encode_cursor(row, order), ranked=False, sort=order) == after


def test_a_cursor_is_refused_by_another_order_or_another_kind_of_search() -> None:
    newest = search.encode_cursor(_row(), parse_sort("-opened"))
    ranked = search.encode_cursor(_row(rank=10))
    assert search.decode_cursor(ranked, ranked=True) == (10, OPENED, CASE)
    for cursor, ranked_search, sort in [
        (newest, False, "opened"),
        (newest, False, "-status"),
        (search.encode_cursor(_row()), True, "opened"),
        (ranked, False, "opened"),
        (search.encode_cursor(_row(sort_key="M5"), parse_sort("status")), False, "status"),  # not a position
        ("garbage", False, "opened"),
        ("bm90IGpzb24=", False, "opened"),
    ]:
        with pytest.raises(Invalid, match="not one this API gave out"):
            search.decode_cursor(cursor, ranked=ranked_search, sort=parse_sort(sort))


@pytest.mark.parametrize(
    ("filters", "asked", "words"),
    [
        ({"name": "ivanova"}, {"sort": "-opened"}, "best match first"),
        ({"dob": "1980"}, {"offset": 50}, "pages by cursor only"),
        ({}, {"offset": 50, "cursor": "x"}, "not both"),
        ({}, {"sort": "age"}, "one of opened, -opened"),
        ({"case": "abc"}, {}, "neither a case id"),
    ],
)
def test_the_list_refuses_what_it_cannot_answer_before_touching_the_database(
    filters: dict[str, str], asked: dict[str, object], words: str
) -> None:
    async def ask() -> None:
        await search.list_cases(uow=None, filters=filters, limit=50, **{"cursor": None, **asked})  # type: ignore[arg-type]

    with pytest.raises(Invalid, match=words):
        asyncio.run(ask())
