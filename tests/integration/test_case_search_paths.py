"""A broad name or DOB search (ranked tier by tier) answers exactly what a narrow one (all ranked at once) does."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.cases import domain
from services.cases.db import attach, search, tables
from shared import names
from shared.db import create_engine, session_factory
from shared.events.intake import EncounterFields
from shared.migrations import upgrade

MIGRATIONS = Path(__file__).parents[2] / "services" / "cases" / "migrations"
# label -> encounters of the case (last name, first name, DOB); "two-scripts" has one in Cyrillic, one in Latin.
PEOPLE: dict[str, list[tuple[str, str, str]]] = {
    "ivanova-latin": [("Ivanova", "Anna", "1980")],
    "ivanova-cyrillic": [("Иванова", "Анна", "1980-05-17")],
    "two-scripts": [("Иванова", "Мария", "1981"), ("Ivanova", "Maria", "1981-02-03")],
    "ivanovaite": [("Ivanovaitė", "Rūta", "1980-05")],
    "hassan": [("حسن", "أحمد", "1975")],
    "hasan-latin": [("Hasan", "Ahmed", "1980-05-17")],
    "annabel": [("Annabel", "Lee", "1980-05-17")],
    "li": [("李", "小龙", "1940-11-27")],
}


@pytest.fixture
def database(empty_database: str) -> str:
    upgrade(empty_database, MIGRATIONS)
    asyncio.run(_load(empty_database))
    return empty_database


async def _load(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    async with session_factory(engine)() as s, s.begin():
        for n, (label, rows) in enumerate(PEOPLE.items()):
            ids = await attach.upsert_subjects(s, [{"id": uuid.uuid4(), "subject_key": f"FIN:{label}", "fin": label}])
            case_id = uuid.uuid4()
            await s.execute(
                tables.cases.insert().values(
                    id=case_id,
                    case_key=label,
                    subject_id=ids[f"FIN:{label}"],
                    program="M5",
                    upload_kind="partner-query",
                    partner_transaction_number=label,
                    opened_at=opened + timedelta(minutes=n),
                )
            )
            for i, (last, first, dob) in enumerate(rows):
                fields = EncounterFields(fin=label, last_name=last, first_name=first, dob=dob)
                encounter_id = uuid.uuid4()
                await attach.insert_encounters(s, [_encounter(encounter_id, ids[f"FIN:{label}"], i, fields)])
                await attach.link_case_encounters(s, [{"case_id": case_id, "encounter_id": encounter_id}])
    await engine.dispose()


def _encounter(encounter_id: uuid.UUID, subject_id: uuid.UUID, row: int, fields: EncounterFields) -> dict[str, Any]:
    return {
        "id": encounter_id,
        "subject_id": subject_id,
        "batch_id": uuid.uuid4(),
        "row_number": row + 2,
        "program": "M5",
        "upload_kind": "partner-query",
        "fin": fields.fin,
        "last_name": fields.last_name,
        "first_name": fields.first_name,
        "dob": fields.dob,
        **domain.name_keys(fields),
        "fields": fields.model_dump(mode="json"),
        "raw": {},
        "extra": {},
        "imported_by": "it",
        "imported_at": datetime.now(UTC),
    }


async def _search(url: str, name: str | None, dob: str | None, page: int) -> list[tuple[str, int, str | None]]:
    """Every page of a search, followed by its cursors: (case, rank, the best encounter's surname)."""
    engine = create_engine(url, pool_size=1)
    out: list[tuple[str, int, str | None]] = []
    after: tuple[Any, ...] | None = None
    query = names.NameQuery.parse(name) if name else None
    async with session_factory(engine)() as s:
        while True:
            rows = await search.list_cases(s, filters={}, name=query, dob=dob, after=after, limit=page)
            out += [(r["partner_transaction_number"], r["rank"], r["last_name"]) for r in rows]
            if len(rows) < page:
                break
            after = (rows[-1]["rank"], rows[-1]["opened_at"], rows[-1]["id"])
    await engine.dispose()
    return out


@pytest.mark.parametrize(
    ("name", "dob"),
    [
        ("ivanova", None),
        ("anna", None),
        ("ahmed hassan", None),
        (None, "1980"),
        ("ivanova", "1980-05-17"),
        ("li", None),
    ],
)
def test_tier_by_tier_answers_as_ranking_everything_does(
    database: str, monkeypatch: pytest.MonkeyPatch, name: str | None, dob: str | None
) -> None:
    at_once = asyncio.run(_search(database, name, dob, page=100))
    assert at_once, (name, dob)
    monkeypatch.setattr(search, "RANK_ALL_UP_TO", 1)  # every search here is "broad": tier by tier
    assert asyncio.run(_search(database, name, dob, page=100)) == at_once
    assert asyncio.run(_search(database, name, dob, page=2)) == at_once  # and paged by cursor


def test_a_case_ranks_by_its_best_encounter_once(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = asyncio.run(_search(database, "ivanova", None, page=100))
    assert [(label, rank) for label, rank, _ in found] == [
        ("ivanova-latin", 10 * names.EXACT),
        ("two-scripts", 10 * names.EXACT),
        ("ivanova-cyrillic", 10 * names.LATIN),
        ("ivanovaite", 10 * names.PARTIAL),
    ]
    assert dict((label, last) for label, _, last in found)["two-scripts"] == "Ivanova"  # the exact encounter
    monkeypatch.setattr(search, "RANK_ALL_UP_TO", 1)
    assert asyncio.run(_search(database, "ivanova", None, page=1)) == found


async def _count(url: str, filters: dict[str, Any], name: str | None, dob: str | None) -> int:
    engine = create_engine(url, pool_size=1)
    query = names.NameQuery.parse(name) if name else None
    async with session_factory(engine)() as s:
        total = await search.count_cases(s, filters=filters, name=query, dob=dob)
    await engine.dispose()
    return total


@pytest.mark.parametrize(
    ("name", "dob"),
    [("ivanova", None), ("ahmed hassan", None), (None, "1980"), ("ivanova", "1980-05-17"), (None, None)],
)
def test_the_count_is_every_case_the_pages_walk_through(database: str, name: str | None, dob: str | None) -> None:
    pages = asyncio.run(_search(database, name, dob, page=2)) if name or dob else list(PEOPLE)
    assert asyncio.run(_count(database, {}, name, dob)) == len(pages) > 0


def test_the_count_takes_the_fin_and_the_cases_own_filters(database: str) -> None:
    assert asyncio.run(_count(database, {"fin": "two-scripts"}, None, None)) == 1
    assert asyncio.run(_count(database, {"fin": "two-scripts"}, "ivanova", None)) == 1
    assert asyncio.run(_count(database, {"fin": "hassan"}, "ivanova", None)) == 0
    assert asyncio.run(_count(database, {"program": "PCSC"}, None, None)) == 0
    assert asyncio.run(_count(database, {"program": "M5"}, None, None)) == len(PEOPLE)
