"""The case list's lean path: one validated filter model, one statement kept per shape, the audit entry in it."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql

from services.cases.db import search as queries
from services.cases.search_api import CaseFilter, CaseListQuery
from services.cases.search_rules import DEFAULT_ORDER, parse_sort
from shared.audit import HASHED

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


async def test_a_ranked_search_leaves_its_entry_to_the_caller() -> None:
    from shared.names import NameQuery

    with pytest.raises(ValueError, match="ranked search"):
        await queries.list_cases(
            object(),  # type: ignore[arg-type]
            filters={},
            name=NameQuery.parse("garcia"),
            after=None,
            limit=5,
            audit_entry={"audit_actor": "x"},
        )
