"""Records stored before names had Latin keys are found in plain Latin once the migrations have run."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
import pytest
from sqlalchemy import ARRAY, Column, DateTime, MetaData, Table, Text, Uuid, select

from services.cases.db import person_match
from services.cases.db import search as cases_search
from shared import names
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from tests.support import database_dsn

SERVICES = Path(__file__).parents[2] / "services"
# Name keys as the old code stored them: only the own-script folded form.
OLD = {
    "ivanova": ("Иванова", "Анна", ["Иванова-Петрова"], "иванова анна иванова-петрова"),
    "hassan": ("حسن", "أحمد", [], "حسن احمد"),
    "li": ("李小龙", None, [], "李小龙"),
}


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


async def _old_cases_rows(url: str) -> dict[str, uuid.UUID]:
    conn = await asyncpg.connect(database_dsn(url))
    now = datetime.now(UTC)
    cases = {}
    for label, (last, first, aliases, old_key) in OLD.items():
        sid, eid, cid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        fields = orjson.dumps({"last_name": last, "first_name": first, "aliases": aliases, "dob": "1980"}).decode()
        await conn.execute("INSERT INTO subjects (id, subject_key) VALUES ($1, $2)", sid, f"FIN:{label}")
        await conn.execute(
            "INSERT INTO encounters (id, subject_id, batch_id, row_number, program, upload_kind, last_name, "
            "first_name, dob, name_search, fields, raw, extra, imported_by, imported_at) VALUES ($1, $2, $3, 2, 'M5', "
            "'partner-query', $4, $5, '1980', $6, $7::jsonb, '{}', '{}', 'it', $8)",
            eid,
            sid,
            uuid.uuid4(),
            last,
            first,
            old_key,
            fields,
            now,
        )
        await conn.execute(
            "INSERT INTO cases (id, case_key, subject_id, program, upload_kind) VALUES ($1, $2, $3, 'M5', "
            "'partner-query')",
            cid,
            label,
            sid,
        )
        await conn.execute("INSERT INTO case_encounters (case_id, encounter_id) VALUES ($1, $2)", cid, eid)
        cases[label] = cid
    await conn.close()
    return cases


async def _cases_found(url: str, query: str) -> list[tuple[uuid.UUID, str]]:
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as session:
        rows = await cases_search.list_cases(
            session, filters={}, name=names.NameQuery.parse(query), after=None, limit=10
        )
    await engine.dispose()
    return [(r["id"], names.RULES[r["rank"] // 10][1]) for r in rows]


def test_encounters_stored_before_the_latin_keys_are_found_in_latin_after_the_upgrade(database: str) -> None:
    upgrade(database, SERVICES / "cases" / "migrations", "0004")
    cases = asyncio.run(_old_cases_rows(database))
    upgrade(database, SERVICES / "cases" / "migrations")
    assert asyncio.run(_cases_found(database, "ivanova")) == [(cases["ivanova"], "latin words")]
    assert asyncio.run(_cases_found(database, "petrova anna")) == [(cases["ivanova"], "latin words")]
    assert asyncio.run(_cases_found(database, "ahmed hassan")) == [(cases["hassan"], "consonants")]
    assert asyncio.run(_cases_found(database, "li xiaolong")) == [(cases["li"], "latin words")]
    assert asyncio.run(_cases_found(database, "ИВАНОВА")) == [(cases["ivanova"], "same words")]


async def _old_person_rows(url: str) -> None:
    conn = await asyncpg.connect(database_dsn(url))
    for label, (*_, old_key) in OLD.items():
        await conn.execute(
            "INSERT INTO person_index (encounter_id, subject_key, name_search, dob, documents, program, imported_at) "
            "VALUES ($1, $2, $3, '1980', '{}', 'M5', now())",
            uuid.uuid4(),
            f"FIN:{label}",
            old_key,
        )
    await conn.close()


# Redress's person index as migration 0003 left it (0004 drops it: candidates are searched through cases).
PERSON_INDEX = Table(
    "person_index",
    MetaData(),
    Column("encounter_id", Uuid, primary_key=True),
    Column("subject_key", Text),
    Column("name_search", Text),
    Column("name_key", Text),
    Column("name_terms", ARRAY(Text)),
    Column("dob", Text),
    Column("imported_at", DateTime(timezone=True)),
)


async def _people_found(url: str, query: str) -> list[tuple[str, str]]:
    engine = create_engine(url, pool_size=1)
    q = names.NameQuery.parse(query)
    assert q is not None
    c = PERSON_INDEX.c
    match = person_match.person_match(person_match.NameColumns.of(PERSON_INDEX), c.dob, q, "1980-05-17")
    assert match is not None
    stmt = select(PERSON_INDEX).where(match.where).order_by(match.rank, c.imported_at, c.encounter_id)
    async with session_factory(engine)() as session:
        rows = (await session.execute(stmt)).mappings().all()
    await engine.dispose()
    return [(r["subject_key"], names.explain(q, {"names": r["name_search"]})["rule"]) for r in rows]  # type: ignore[index]


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(database_dsn(url))
    found = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    await conn.close()
    return found


def test_redress_index_rows_stored_before_the_latin_keys_are_found_in_latin_after_the_upgrade(database: str) -> None:
    upgrade(database, SERVICES / "redress" / "migrations", "0002")
    asyncio.run(_old_person_rows(database))
    upgrade(database, SERVICES / "redress" / "migrations", "0003")
    assert asyncio.run(_people_found(database, "ivanova")) == [("FIN:ivanova", "latin words")]
    assert asyncio.run(_people_found(database, "hassan ahmed")) == [("FIN:hassan", "consonants")]
    assert asyncio.run(_people_found(database, "xiaolong li")) == [("FIN:li", "latin words")]
    # 0004: the copy goes; candidates are found through cases' search from then on.
    upgrade(database, SERVICES / "redress" / "migrations")
    assert "person_index" not in asyncio.run(_tables(database))


async def _keys_as_0008_stored_them(url: str, label: str, last: str, first: str) -> uuid.UUID:
    """An encounter whose terms are what the scheme before issue 33 stored: own words, anyascii words, no symbols."""
    conn = await asyncpg.connect(database_dsn(url))
    sid, eid, cid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own = [f"={w}" for w in names.fold(f"{last} {first}").split()]
    latin = names.words(last) + names.words(first)
    await conn.execute("INSERT INTO subjects (id, subject_key) VALUES ($1, $2)", sid, f"FIN:{label}")
    await conn.execute(
        "INSERT INTO encounters (id, subject_id, batch_id, row_number, program, upload_kind, last_name, first_name, "
        "dob, name_search, name_key, name_terms, fields, raw, extra, imported_by, imported_at) VALUES ($1, $2, $3, 2, "
        "'M5', 'partner-query', $4, $5, '1966', $6, $7, $8, $9::jsonb, '{}', '{}', 'it', now())",
        eid,
        sid,
        uuid.uuid4(),
        last,
        first,
        names.fold(f"{last} {first}"),
        names.latin(f"{last} {first}"),
        own + latin,
        orjson.dumps({"last_name": last, "first_name": first}).decode(),
    )
    await conn.execute(
        "INSERT INTO cases (id, case_key, subject_id, program, upload_kind) VALUES ($1, $2, $3, 'M5', 'partner-query')",
        cid,
        label,
        sid,
    )
    await conn.execute("INSERT INTO case_encounters (case_id, encounter_id) VALUES ($1, $2)", cid, eid)
    await conn.close()
    return cid


def test_keys_stored_before_spellings_and_symbols_are_rebuilt_by_the_upgrade(database: str) -> None:
    upgrade(database, SERVICES / "cases" / "migrations", "0008")
    greek = asyncio.run(_keys_as_0008_stored_them(database, "greek", "Παπαδόπουλος", "Γιώργος"))
    russian = asyncio.run(_keys_as_0008_stored_them(database, "russian", "Шевченко", "Юрий"))
    # Before: the passport spelling of Γιώργος and the German spelling of Шевченко found nothing.
    assert asyncio.run(_cases_found(database, "georgios papadopoulos")) == []
    assert asyncio.run(_cases_found(database, "juri schewtschenko")) == []
    upgrade(database, SERVICES / "cases" / "migrations")
    assert asyncio.run(_cases_found(database, "georgios papadopoulos")) == [(greek, "same name")]
    assert asyncio.run(_cases_found(database, "juri schewtschenko")) == [(russian, "latin words")]
    assert asyncio.run(_cases_found(database, "Γιώργος")) == [(greek, "same words")]
