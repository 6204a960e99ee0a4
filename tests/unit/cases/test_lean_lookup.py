"""The case list's lean path: one validated filter model, one statement kept per shape, the audit entry in it."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from services.cases.db import person_match
from services.cases.db import search as queries
from services.cases.db.tables import encounters
from services.cases.search_api import CaseFilter, CaseListQuery
from services.cases.search_rules import DEFAULT_ORDER, parse_sort
from shared.audit import HASHED
from shared.names import NameQuery

QUERY_NAMES = {
    "status", "program", "partner", "assignee", "fin", "transaction", "name", "dob", "subject", "flag", "case",
    "batch", "cursor", "limit", "sort", "offset",
}  # fmt: skip


def test_the_filter_model_names_what_each_filter_compares() -> None:
    batch, subject = uuid.uuid4(), uuid.uuid4()
    f = CaseFilter.model_validate(
        {"partner": "GBR", "transaction": "T1", "subject": str(subject), "batch": str(batch), "fin": "42"}
    )
    assert f.as_filters() == {
        "flag": None,
        "status": None,
        "program": None,
        "partner_country": "GBR",
        "assignee": None,
        "fin": "42",
        "partner_transaction_number": "T1",
        "name": None,
        "dob": None,
        "subject_id": subject,
        "case": None,
        "batch_id": batch,
    }


@pytest.mark.parametrize("bad", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"subject": "not-a-uuid"}])
def test_a_page_query_out_of_bounds_is_refused_naming_the_field(bad: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseListQuery.model_validate(bad)
    assert caught.value.errors()[0]["loc"] == (next(iter(bad)),)


def test_the_case_list_documents_the_same_query_parameters_as_before() -> None:
    from services.cases.app import create_app

    operation = create_app().openapi()["paths"]["/api/v1/cases"]["get"]
    assert {p["name"] for p in operation["parameters"]} == QUERY_NAMES
    assert all(p["in"] == "query" and not p["required"] for p in operation["parameters"])


def _sql(stmt: object) -> str:
    return str(stmt.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[attr-defined]


def test_a_page_statement_is_built_once_per_shape_and_holds_no_value() -> None:
    shape = (("status",), True, True, DEFAULT_ORDER, False, False)
    first = queries._page(*shape, audited=True)
    assert queries._page(*shape, audited=True) is first
    assert queries._page(*shape, audited=False) is not first
    assert queries._page(("status",), True, True, parse_sort("-status"), False, False, audited=True) is not first
    compiled = first.compile(dialect=postgresql.asyncpg.dialect())
    names = {n for n in compiled.params if n.startswith(("q_", "audit_"))}
    assert names == {"q_programs", "q_status", "q_fin", "q_limit", *(f"audit_{k}" for k in HASHED)}
    assert all(compiled.binds[n].required for n in names)  # a call that left one out fails, never reuses a value


def test_an_audited_page_writes_the_entry_in_the_same_statement() -> None:
    sql = _sql(queries._page((), True, True, DEFAULT_ORDER, False, False, audited=True))
    assert sql.startswith("WITH audit_entry AS \n(INSERT INTO audit_trail")
    assert "program = ANY" in sql and "LIMIT $" in sql
    assert "audit_trail" not in _sql(queries._page((), True, True, DEFAULT_ORDER, False, False, audited=False))


def test_filter_params_cover_every_filter_the_statement_names() -> None:
    low, high = uuid.uuid4(), uuid.uuid4()
    filters = {"status": "new", "flag": "derogatory", "batch_id": uuid.uuid4(), "case_ids": (low, high), "name": None}
    params = queries._filter_params(filters, frozenset({"PCSC", "M5"}))
    assert params.pop("q_programs") == ["M5", "PCSC"]
    assert (params.pop("q_case_low"), params.pop("q_case_high")) == (low, high)
    assert set(params) == {"q_status", "q_flag", "q_batch_id"}
    bound = queries._filtered_cases(queries._given(filters), True).compile().params
    assert {n for n in bound if n.startswith("q_")} == {
        "q_programs",
        "q_case_low",
        "q_case_high",
        "q_status",
        "q_flag",
        "q_batch_id",
    }


class _Recording:
    """A session that records what it is asked to run: the matching ids it is given, then the page."""

    def __init__(self, ids: list[uuid.UUID]) -> None:
        self.ids = ids
        self.ran: list[tuple[object, dict]] = []

    async def scalars(self, stmt: object, params: dict) -> object:
        self.ran.append((stmt, params))
        return SimpleNamespace(all=lambda: self.ids)

    async def execute(self, stmt: object, params: dict) -> object:
        self.ran.append((stmt, params))
        return SimpleNamespace(mappings=lambda: SimpleNamespace(all=lambda: []))


def _search(session: _Recording, claims: list[str], name: str = "garcia", dob: str | None = None) -> None:
    def claim() -> dict:
        claims.append("claimed")
        return {f"audit_{k}": None for k in HASHED}

    asyncio.run(
        queries.list_cases(
            session,  # type: ignore[arg-type]
            filters={"status": "new"},
            name=NameQuery.parse(name),
            dob=dob,
            after=None,
            limit=5,
            programs=frozenset({"M5"}),
            claim_audit=claim,
        )
    )


def test_a_ranked_page_writes_the_entry_and_is_claimed_only_when_it_runs() -> None:
    claims: list[str] = []
    none_found = _Recording([])
    _search(none_found, claims)
    assert len(none_found.ran) == 1 and claims == []  # nothing found: the middleware writes the entry
    found = _Recording([uuid.uuid4()])
    _search(found, claims)
    assert claims == ["claimed"]
    page, params = found.ran[-1]
    assert _sql(page).startswith("WITH audit_entry AS \n(INSERT INTO audit_trail")
    compiled = page.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    named = {n for n in compiled.params if n.startswith(("q_", "m_", "audit_"))}
    assert named <= set(params)  # every value the kept statement names is given by the call
    assert all(compiled.binds[n].required for n in named)


@pytest.mark.parametrize(
    ("name", "dob"),
    [
        ("garcia", None),
        ("li xiaolong", None),
        ("Шевченко ab", None),
        ("أحمد", "1980"),
        (None, "1980-05"),
        ("jo", "1980-05-17"),
    ],
)
def test_a_ranked_search_is_kept_per_shape_and_runs_the_same_sql_as_one_built_for_its_values(
    name: str | None, dob: str | None
) -> None:
    query = NameQuery.parse(name) if name else None
    shape = person_match.shape_of(query, dob)
    assert shape is not None
    ranked = queries._Ranked(("status",), True, False, shape)
    assert queries._matching_ids(shape, False) is queries._matching_ids(shape, False)
    assert queries._ranked_page(ranked, False, audited=False) is queries._ranked_page(ranked, False, audited=False)
    kept = person_match.match_of(person_match.NameColumns.of(encounters), encounters.c.dob, shape)
    built = person_match.person_match(person_match.NameColumns.of(encounters), encounters.c.dob, query, dob)
    assert built is not None and built.params == person_match.params_of(query, dob)
    for part in ("where", "rank"):
        assert _sql(getattr(kept, part)) == _sql(getattr(built, part))  # the same statement, values apart
    compiled = select(encounters.c.id).where(kept.where, kept.rank < 100).compile(dialect=postgresql.dialect())
    named = {n for n in compiled.params if n.startswith("m_")}
    assert named and named <= set(built.params)  # the call gives every value the kept statement names
    assert all(compiled.binds[n].required for n in named)
