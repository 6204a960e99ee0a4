"""Cases' own tables and the queries on them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    Uuid,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit as shared_audit
from shared import person_search
from shared.db import all_array, any_array, copy_upsert
from shared.names import NameQuery
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

subjects = Table(
    "subjects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_key", Text, nullable=False, unique=True),
    Column("fin", Text, index=True),
    Column("partner_country", Text),
    Column("partner_unique_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, ForeignKey("subjects.id"), nullable=False, index=True),
    Column("batch_id", Uuid, nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("fin", Text),
    Column("last_name", Text),
    Column("first_name", Text),
    Column("dob", Text),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("partner_transaction_number", Text),
    # Search keys of every name and alias (shared.names.keys): own script folded, Latin key, whole-word terms.
    Column("name_search", Text, nullable=False, server_default=""),
    Column("name_key", Text, nullable=False, server_default=""),
    Column("name_terms", ARRAY(Text), nullable=False, server_default="{}"),
    Column("fields", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
    Column("extra", JSONB, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_encounters_fin", "fin"),
    # A batch's encounters in row order, a page at a time (analysts and the import benchmark read them so).
    Index("ix_encounters_batch_page", "batch_id", "row_number", "id"),
    # Names in any script from plain Latin: whole words and skeletons by array GIN, parts of words by trigrams.
    Index("ix_encounters_name_terms", "name_terms", postgresql_using="gin"),
    Index(
        "ix_encounters_name_key_trgm", "name_key", postgresql_using="gin", postgresql_ops={"name_key": "gin_trgm_ops"}
    ),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_key", Text, nullable=False, unique=True),
    Column("subject_id", Uuid, ForeignKey("subjects.id"), nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("partner_country", Text),
    Column("partner_unique_id", Text),
    Column("partner_transaction_number", Text, index=True),
    Column("search_code", Text),
    Column("status", Text, nullable=False, server_default="new"),
    Column("assignee", Text, index=True),
    Column("stale", Boolean, nullable=False, server_default="false"),
    Column("findings_as_of", DateTime(timezone=True)),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("in_review_at", DateTime(timezone=True)),
    Column("findings_ready_at", DateTime(timezone=True)),
    Column("response_sent_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
    Index("ix_cases_page", "opened_at", "id"),
)

case_encounters = Table(
    "case_encounters",
    metadata,
    Column("case_id", Uuid, ForeignKey("cases.id"), primary_key=True),
    Column("encounter_id", Uuid, ForeignKey("encounters.id"), primary_key=True, index=True),
)

flags = Table(
    "flags",
    metadata,
    Column("encounter_id", Uuid, ForeignKey("encounters.id"), primary_key=True),
    Column("flag", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

searches = Table(
    "searches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("system", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("searched_by", Text, nullable=False),
    Column("searched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("accurate_as_of", DateTime(timezone=True), nullable=False),
    # The encounters a finding is about (empty: the case as a whole); disclosure withholds it with them.
    Column("encounter_ids", ARRAY(Uuid), nullable=False, server_default="{}"),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

timeline = Table(
    "case_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
)

audit_trail = metadata.tables["audit_trail"]

# A legal hold stops any purge of the subject (all their records) or of one case, until released.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, index=True),
    Column("case_id", Uuid, index=True),
    Column("reason", Text, nullable=False),
    Column("placed_by", Text, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("released_by", Text),
    Column("released_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
)


async def upsert_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Create missing subjects in one statement; returns subject_key -> id for every key given."""
    if not rows:
        return {}
    await copy_upsert(session, subjects, rows)
    keys = [r["subject_key"] for r in rows]
    found = await session.execute(
        select(subjects.c.subject_key, subjects.c.id).where(subjects.c.subject_key == any_array(keys, Text))
    )
    return dict(found.tuples().all())


async def insert_encounters(session: AsyncSession, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert encounters not yet present (COPY + one INSERT ... SELECT); returns the ids that are new."""
    return await copy_upsert(session, encounters, rows, returning="id")


async def get_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> Any:
    return (await session.execute(select(encounters).where(encounters.c.id == encounter_id))).mappings().first()


async def list_encounters(
    session: AsyncSession,
    *,
    batch_id: uuid.UUID | None,
    fin: str | None,
    subject_id: uuid.UUID | None,
    limit: int,
    offset: int,
    programs: frozenset[str] | None = None,
) -> tuple[int, list[Any]]:
    conditions = [] if programs is None else [encounters.c.program.in_(sorted(programs))]
    if batch_id is not None:
        conditions.append(encounters.c.batch_id == batch_id)
    if fin is not None:
        conditions.append(encounters.c.fin == fin)
    if subject_id is not None:
        conditions.append(encounters.c.subject_id == subject_id)
    total = await session.scalar(select(func.count()).select_from(encounters).where(*conditions))
    stmt = (
        select(encounters)
        .where(*conditions)
        .order_by(encounters.c.batch_id, encounters.c.row_number, encounters.c.id)
        .limit(limit)
        .offset(offset)
    )
    return total or 0, list((await session.execute(stmt)).mappings().all())


async def get_subject(session: AsyncSession, subject_id: uuid.UUID) -> Any:
    return (await session.execute(select(subjects).where(subjects.c.id == subject_id))).mappings().first()


async def upsert_cases(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, tuple[uuid.UUID, bool]]:
    """Open missing cases; returns case_key -> (id, opened now)."""
    if not rows:
        return {}
    opened = set(await copy_upsert(session, cases, rows, returning="case_key"))
    keys = [r["case_key"] for r in rows]
    found = await session.execute(select(cases.c.case_key, cases.c.id).where(cases.c.case_key == any_array(keys, Text)))
    return {k: (i, k in opened) for k, i in found.tuples().all()}


async def attachments(
    session: AsyncSession, encounter_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]:
    """encounter -> (subject, case) for encounters already attached (an import delivered again)."""
    stmt = (
        select(encounters.c.id, encounters.c.subject_id, case_encounters.c.case_id)
        .join(case_encounters, case_encounters.c.encounter_id == encounters.c.id)
        .where(encounters.c.id == any_array(encounter_ids, Uuid))
    )
    return {r.id: (r.subject_id, r.case_id) for r in (await session.execute(stmt)).all()}


async def link_case_encounters(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await copy_upsert(session, case_encounters, rows)


async def mark_stale(
    session: AsyncSession, subject_ids: list[uuid.UUID], keep_fresh: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Cases of these subjects whose findings predate a newly attached encounter become stale."""
    if not subject_ids:
        return []
    stmt = (
        update(cases)
        .where(
            cases.c.subject_id == any_array(subject_ids, Uuid),
            cases.c.findings_as_of.is_not(None),
            cases.c.stale.is_(False),
            cases.c.id != all_array(keep_fresh, Uuid),
        )
        .values(stale=True, updated_at=func.now())
        .returning(cases.c.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def set_flags(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = insert(flags)
    stmt = stmt.on_conflict_do_update(
        index_elements=["encounter_id", "flag"],
        set_={
            "value": stmt.excluded.value,
            "reason": stmt.excluded.reason,
            "set_by": stmt.excluded.set_by,
            "set_at": func.now(),
        },
    )
    await session.execute(stmt, rows)


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(cases).where(cases.c.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def update_case(session: AsyncSession, case_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(cases).where(cases.c.id == case_id).values(**values, updated_at=func.now()))


async def case_encounter_rows(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(encounters)
        .join(case_encounters, case_encounters.c.encounter_id == encounters.c.id)
        .where(case_encounters.c.case_id == case_id)
        .order_by(encounters.c.attached_at, encounters.c.id)
    )
    return list((await session.execute(stmt)).mappings().all())


async def subject_encounters_after(session: AsyncSession, subject_id: uuid.UUID, after: Any) -> list[Any]:
    stmt = (
        select(encounters.c.id, encounters.c.attached_at)
        .where(encounters.c.subject_id == subject_id, encounters.c.attached_at > after)
        .order_by(encounters.c.attached_at)
    )
    return list((await session.execute(stmt)).mappings().all())


async def encounter_flags(session: AsyncSession, encounter_ids: list[uuid.UUID]) -> list[Any]:
    if not encounter_ids:
        return []
    stmt = select(flags).where(flags.c.encounter_id.in_(encounter_ids)).order_by(flags.c.flag)
    return list((await session.execute(stmt)).mappings().all())


async def case_rows(session: AsyncSession, table: Table, case_id: uuid.UUID, order: Any) -> list[Any]:
    stmt = select(table).where(table.c.case_id == case_id).order_by(order)
    return list((await session.execute(stmt)).mappings().all())


async def add_timeline(session: AsyncSession, case_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
    await session.execute(
        timeline.insert().values(id=uuid.uuid4(), case_id=case_id, actor=actor, action=action, detail=detail)
    )


async def audit(session: AsyncSession, row: dict[str, Any]) -> None:
    await shared_audit.append(session, audit_trail, [shared_audit.Entry(**row)])


async def cases_of_encounter(session: AsyncSession, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(case_encounters.c.case_id).where(case_encounters.c.encounter_id == encounter_id)
    return list((await session.execute(stmt)).scalars().all())


# A name or DOB search ranks every matching encounter at once when there are at most this many; a broader one
# (a common name, a year) pages tier by tier, each tier walked in opening order and stopped at the page.
RANK_ALL_UP_TO = 1000


def _filtered_cases(filters: dict[str, Any], programs: frozenset[str] | None) -> Any:
    c = cases.c
    stmt = select(cases)
    if programs is not None:
        stmt = stmt.where(c.program.in_(sorted(programs)))
    for column in ("status", "program", "partner_country", "assignee", "partner_transaction_number", "subject_id"):
        if filters.get(column) is not None:
            stmt = stmt.where(c[column] == filters[column])
    return stmt


def _person_match(table: Table, name: NameQuery | None, dob: str | None) -> person_search.Match | None:
    return person_search.person_match(person_search.NameColumns.of(table), table.c.dob, name, dob)


def _same_fin(table: Any, fin: str | None) -> list[Any]:
    return [table.c.fin == fin] if fin else []


def _names(table: Any) -> list[Any]:
    """The columns a match is explained from."""
    e = table.c
    return [
        e.last_name,
        e.first_name,
        e.fields["middle_name"].astext.label("middle_name"),
        e.fields["aliases"].label("aliases"),
        e.dob,
    ]


async def list_cases(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    name: NameQuery | None = None,
    dob: str | None = None,
    after: tuple[Any, ...] | None,
    limit: int,
    programs: frozenset[str] | None = None,
) -> list[Any]:
    """Keyset pages ordered by (opened_at, id): inserts while paging never shift or repeat a row. A name or
    DOB search orders by (rank, opened_at, id), each case with its best-matching encounter's names and DOB."""
    c = cases.c
    stmt = _filtered_cases(filters, programs)
    fin = filters.get("fin")
    person = _same_fin(encounters, fin)
    match = _person_match(encounters, name, dob)
    if match is not None:
        rows = await _rank_all(session, stmt, match, person, after, limit)
        if rows is None:
            rows = await _tier_by_tier(session, stmt, match, fin, after, limit, name, dob)
        return rows
    if person:
        matching = (
            select(case_encounters.c.case_id)
            .join(encounters, encounters.c.id == case_encounters.c.encounter_id)
            .where(*person)
        )
        stmt = stmt.where(c.id.in_(matching))
    if after is not None:
        stmt = stmt.where(tuple_(c.opened_at, c.id) > tuple_(*after))
    stmt = stmt.order_by(c.opened_at, c.id).limit(limit)
    return list((await session.execute(stmt)).mappings().all())


async def count_cases(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    name: NameQuery | None = None,
    dob: str | None = None,
    programs: frozenset[str] | None = None,
) -> int:
    """How many cases `list_cases` pages through for the same filters (every rank of a search counted)."""
    c, ce = cases.c, case_encounters.c
    stmt = _filtered_cases(filters, programs)
    person = _same_fin(encounters, filters.get("fin"))
    match = _person_match(encounters, name, dob)
    conditions = person + ([match.where] if match is not None else [])
    if conditions:
        matching = select(ce.case_id).join(encounters, encounters.c.id == ce.encounter_id).where(*conditions)
        stmt = stmt.where(c.id.in_(matching))
    return int(await session.scalar(select(func.count()).select_from(stmt.with_only_columns(c.id).subquery())) or 0)


async def _rank_all(
    session: AsyncSession, stmt: Any, match: person_search.Match, person: list[Any], after: Any, limit: int
) -> list[Any] | None:
    """Every matching encounter ranked in one statement; None when there are more than RANK_ALL_UP_TO."""
    c, e, ce = cases.c, encounters.c, case_encounters.c
    found = (
        select(e.id, match.rank.label("rank"), *_names(encounters))
        .where(match.where, *person)
        .limit(RANK_ALL_UP_TO + 1)
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    f = found.c
    best = (
        select(ce.case_id, f.rank, f.last_name, f.first_name, f.middle_name, f.aliases, f.dob)
        .join(found, f.id == ce.encounter_id)
        .distinct(ce.case_id)
        .order_by(ce.case_id, f.rank)
        .subquery()
    )
    h = best.c
    stmt = (
        stmt.add_columns(h.rank, h.last_name, h.first_name, h.middle_name, h.aliases, h.dob)
        .join(best, h.case_id == c.id)
        .where(select(func.count()).select_from(found).scalar_subquery() <= RANK_ALL_UP_TO)
    )
    if after is not None:
        stmt = stmt.where(tuple_(h.rank, c.opened_at, c.id) > tuple_(*after))
    rows = list((await session.execute(stmt.order_by(h.rank, c.opened_at, c.id).limit(limit))).mappings().all())
    if rows:
        return rows
    some = select(e.id).where(match.where, *person).limit(RANK_ALL_UP_TO + 1).subquery()
    return None if (await session.scalar(select(func.count()).select_from(some)) or 0) > RANK_ALL_UP_TO else []


async def _tier_by_tier(
    session: AsyncSession,
    stmt: Any,
    match: person_search.Match,
    fin: str | None,
    after: Any,
    limit: int,
    name: NameQuery | None,
    dob: str | None,
) -> list[Any]:
    """A broad search: each rank in turn, like an unranked search (cases in opening order, stopped at the
    page), leaving out cases that have an encounter of a better rank; then the page's best encounters."""
    c, ce = cases.c, case_encounters.c
    other = encounters.alias("better")
    other_match = _person_match(other, name, dob)
    assert other_match is not None
    person = _same_fin(encounters, fin)
    rows: list[Any] = []
    for i, (rank, tier) in enumerate(match.tiers):
        if len(rows) >= limit or (after is not None and rank < after[0]):
            continue
        in_tier = select(ce.case_id).join(encounters, encounters.c.id == ce.encounter_id).where(tier, *person)
        page = stmt.add_columns(literal(rank).label("rank")).where(c.id.in_(in_tier))
        better = [cond for _, cond in other_match.tiers[:i]]
        if better:
            page = page.where(
                ~exists(
                    select(1)
                    .select_from(case_encounters.join(other, other.c.id == ce.encounter_id))
                    .where(ce.case_id == c.id, or_(*better), *_same_fin(other, fin))
                )
            )
        if after is not None and rank == after[0]:
            page = page.where(tuple_(c.opened_at, c.id) > tuple_(*after[1:]))
        page = page.order_by(c.opened_at, c.id).limit(limit - len(rows))
        rows += (await session.execute(page)).mappings().all()
    if not rows:
        return []
    e = encounters.c
    best = (
        select(ce.case_id, *_names(encounters))
        .join(encounters, e.id == ce.encounter_id)
        .where(ce.case_id.in_([r["id"] for r in rows]), match.where, *person)
        .distinct(ce.case_id)
        .order_by(ce.case_id, match.rank)
    )
    names_of = {r["case_id"]: r for r in (await session.execute(best)).mappings().all()}
    return [{**r, **{k: v for k, v in names_of.get(r["id"], {}).items() if k != "case_id"}} for r in rows]


TYPED_COLUMNS = ("fin", "last_name", "first_name", "dob", "data_owner", "partner_country", "partner_transaction_number")


async def correct_encounter(
    session: AsyncSession, encounter_id: uuid.UUID, fields: dict[str, Any], name_keys: dict[str, Any]
) -> None:
    values = {k: fields.get(k) for k in TYPED_COLUMNS}
    await session.execute(
        update(encounters).where(encounters.c.id == encounter_id).values(fields=fields, **name_keys, **values)
    )


async def make_stale(session: AsyncSession, case_ids: list[uuid.UUID]) -> None:
    if case_ids:
        await session.execute(update(cases).where(cases.c.id.in_(case_ids)).values(stale=True, updated_at=func.now()))


# Retention: which records are due, holds that stop a purge, and the purge itself.


RETENTION_LOCK_KEY = 0x7472_6163_7302


async def try_retention_lock(session: AsyncSession) -> bool:
    """One retention run at a time across every cases instance (scheduled or asked for)."""
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(RETENTION_LOCK_KEY))))


def _active_holds() -> ColumnElement[bool]:
    return legal_holds.c.released_at.is_(None)


async def due_records(
    session: AsyncSession, *, analysis_cutoff: Any, partner_cutoff: Any
) -> dict[uuid.UUID, dict[str, list[uuid.UUID]]]:
    """Per subject: cases last used before the analysis cutoff, and encounters collected before the
    partner cutoff that no surviving case still needs. Held subjects and held cases are left out."""
    held_subjects = select(legal_holds.c.subject_id).where(_active_holds(), legal_holds.c.subject_id.is_not(None))
    held_cases = select(legal_holds.c.case_id).where(_active_holds(), legal_holds.c.case_id.is_not(None))
    due_cases = select(cases.c.id).where(
        cases.c.updated_at < analysis_cutoff,
        cases.c.id.not_in(held_cases),
        cases.c.subject_id.not_in(held_subjects),
    )
    case_rows = (await session.execute(select(cases.c.id, cases.c.subject_id).where(cases.c.id.in_(due_cases)))).all()
    surviving = select(case_encounters.c.encounter_id).where(case_encounters.c.case_id.not_in(due_cases))
    enc_rows = (
        await session.execute(
            select(encounters.c.id, encounters.c.subject_id).where(
                encounters.c.imported_at < partner_cutoff,
                encounters.c.subject_id.not_in(held_subjects),
                encounters.c.id.not_in(surviving),
            )
        )
    ).all()
    out: dict[uuid.UUID, dict[str, list[uuid.UUID]]] = {}
    for case_id, subject_id in case_rows:
        out.setdefault(subject_id, {"cases": [], "encounters": []})["cases"].append(case_id)
    for encounter_id, subject_id in enc_rows:
        out.setdefault(subject_id, {"cases": [], "encounters": []})["encounters"].append(encounter_id)
    return out


async def purge(
    session: AsyncSession, subject_id: uuid.UUID, case_ids: list[uuid.UUID], encounter_ids: list[uuid.UUID]
) -> bool:
    """Delete the cases (with their searches, findings, timeline, links) and encounters (with flags); the
    subject goes too once nothing of it is left. Returns whether the subject was removed."""
    if case_ids:
        for table in (searches, findings, timeline, case_encounters):
            await session.execute(delete(table).where(table.c.case_id.in_(case_ids)))
        await session.execute(delete(cases).where(cases.c.id.in_(case_ids)))
    if encounter_ids:
        await session.execute(delete(flags).where(flags.c.encounter_id.in_(encounter_ids)))
        await session.execute(delete(case_encounters).where(case_encounters.c.encounter_id.in_(encounter_ids)))
        await session.execute(delete(encounters).where(encounters.c.id.in_(encounter_ids)))
    left = await session.scalar(
        select(func.count())
        .select_from(subjects)
        .where(
            subjects.c.id == subject_id,
            or_(
                subjects.c.id.in_(select(encounters.c.subject_id)),
                subjects.c.id.in_(select(cases.c.subject_id)),
            ),
        )
    )
    if left:
        return False
    await session.execute(delete(subjects).where(subjects.c.id == subject_id))
    return True


async def add_hold(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(legal_holds.insert().values(**row))


async def get_hold(session: AsyncSession, hold_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(legal_holds).where(legal_holds.c.id == hold_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def list_holds(session: AsyncSession, *, active_only: bool) -> list[Any]:
    stmt = select(legal_holds).order_by(legal_holds.c.placed_at, legal_holds.c.id)
    if active_only:
        stmt = stmt.where(_active_holds())
    return list((await session.execute(stmt)).mappings().all())


async def release_hold(session: AsyncSession, hold_id: uuid.UUID, actor: str) -> None:
    await session.execute(
        update(legal_holds)
        .where(legal_holds.c.id == hold_id)
        .values(released_at=func.now(), released_by=actor, updated_at=func.now(), updated_by=actor)
    )


# The internal API: what other services ask cases for instead of keeping copies (issue 17).

DOCUMENT_FIELDS = ("document_number", "passport_number", "alien_registration_number")


async def search_people(
    session: AsyncSession,
    *,
    name: NameQuery | None,
    dob: str | None,
    document: str | None,
    fin: str | None,
    limit: int,
) -> list[Any]:
    """Encounters of every program matching every criterion given; by name and DOB ranked as the case list
    ranks them (best first), then in import order."""
    e = encounters.c
    match = _person_match(encounters, name, dob)
    conditions = [match.where] if match is not None else []
    rank = match.rank if match is not None else literal(0)
    if document:
        conditions.append(or_(*(e.fields[f].astext == document for f in DOCUMENT_FIELDS)))
    conditions += _same_fin(encounters, fin)
    stmt = (
        select(
            e.id.label("encounter_id"),
            e.subject_id,
            subjects.c.subject_key,
            e.fin,
            e.name_search,
            *_names(encounters),
            *(e.fields[f].astext.label(f) for f in DOCUMENT_FIELDS),
            e.program,
            e.data_owner,
            e.imported_at,
            rank.label("rank"),
        )
        .join(subjects, subjects.c.id == e.subject_id)
        .where(*conditions)
        .order_by(rank, e.imported_at, e.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).mappings().all())


async def findings_of(session: AsyncSession, case_id: uuid.UUID) -> list[Any]:
    stmt = select(findings).where(findings.c.case_id == case_id).order_by(findings.c.accurate_as_of, findings.c.id)
    return list((await session.execute(stmt)).mappings().all())
