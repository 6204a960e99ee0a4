"""The audit trail page and its CSV export against a fake API: the filters go to the API as instants, a refused
filter is said on the page with the form kept, the export walks every page and neutralises formula cells; user
text is isolated in <bdi> and dates never break inside."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.gateway.console.web import templates
from tests.unit.gateway.console_fake import FakeApi, console_client


def _action(actor: str, name: str, record_id: str = "2edfbe11-0000-4000-8000-000000000000") -> dict[str, Any]:
    call = {"service": "cases", "method": "GET", "path": f"/api/v1/cases/{record_id}", "action": "case:read",
            "outcome": "allowed", "seq": None, "at": "2026-12-04T10:00:00Z",
            "proof": {"state": "unsequenced", "summary": "not yet sequenced"}}  # fmt: skip
    return {"at": "2026-12-04T10:00:00Z", "actor": actor, "action": name, "record_type": "case",
            "record_id": record_id, "outcome": "allowed", "client": "10.0.0.1", "correlation_id": "c1",
            "calls": [call]}  # fmt: skip


def _pages(*pages: list[dict[str, Any]]) -> FakeApi:
    """A fake whose `/api/v1/audit/actions` answers one page of these actions."""
    fake = FakeApi()
    fake.on("GET", "/api/v1/audit/actions", {"items": pages[0], "total": len(pages[0]), "page": 1, "pages": 1})
    return fake


def test_the_days_of_the_form_go_to_the_api_as_instants_the_last_day_included() -> None:
    fake = _pages([_action("analyst", "viewed case")])
    page = console_client(fake, "auditor", {"auditor"}, set()).get(
        "/audit-trail",
        params={"record": "case:2edfbe11", "actor": "analyst", "since": "2026-12-01", "until": "2026-12-04"},
    )
    assert page.status_code == 200
    asked = fake.params("GET", "/api/v1/audit/actions")[0]
    assert asked["since"] == "2026-12-01T00:00:00Z" and asked["until"] == "2026-12-05T00:00:00Z"
    assert asked["record"] == "case:2edfbe11" and asked["actor"] == "analyst"
    assert '<td class="action-name">viewed case</td>' in page.text
    assert 'href="/audit-trail.csv?record=case%3A2edfbe11&amp;actor=analyst' in page.text


def test_a_day_that_is_no_date_is_said_on_the_page_with_the_form_kept() -> None:
    fake = _pages([])
    page = console_client(fake, "auditor", {"auditor"}, set()).get("/audit-trail", params={"since": "yesterday"})
    assert page.status_code == 422
    assert "since &#39;yesterday&#39; is not a date (YYYY-MM-DD)" in page.text
    assert fake.params("GET", "/api/v1/audit/actions") == []


def test_a_refusal_of_the_api_is_said_on_the_page_not_a_raw_422() -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/audit/actions", {"detail": "record 'x y' is not an id"}, status=422)
    page = console_client(fake, "auditor", {"auditor"}, set()).get("/audit-trail", params={"record": "x y"})
    assert page.status_code == 422 and "<!doctype html>" in page.text
    assert 'role="alert"' in page.text and "is not an id" in page.text
    assert 'value="x y"' in page.text
    assert "actions matching" not in page.text  # the reason alone, not "0 actions matching" under it


def test_the_export_writes_one_row_per_action_and_no_cell_starts_a_formula() -> None:
    fake = _pages([_action('=HYPERLINK("http://evil")', "viewed case"), _action("analyst", "-recorded finding")])
    answer = console_client(fake, "auditor", {"auditor"}, set()).get("/audit-trail.csv", params={"actor": "x"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["actor"] for r in rows] == ['\'=HYPERLINK("http://evil")', "analyst"]
    assert rows[1]["action"] == "'-recorded finding"
    assert rows[0]["calls"] == "cases GET /api/v1/cases/2edfbe11-0000-4000-8000-000000000000 allowed"
    assert fake.params("GET", "/api/v1/audit/actions")[0]["size"] == "100"


def test_user_text_is_isolated_and_escaped_and_dates_do_not_break() -> None:
    bdi, when = templates.env.filters["bdi"], templates.env.filters["when"]
    assert str(bdi("Haddad\u202eevil<b>")) == "<bdi>Haddad\u202eevil&lt;b&gt;</bdi>"
    assert bdi(None) == "" and bdi("") == ""
    assert str(bdi("x" * 3000)).startswith('<bdi class="long">')  # may break anywhere; a name never does
    assert str(when("1987-02-03")) == '<time class="nowrap" datetime="1987-02-03">1987-02-03</time>'
    assert str(when("1987-02")) == '<span class="nowrap">1987-02</span>'
    assert "2026-12-04 10:00 UTC</time>" in str(when("2026-12-04T10:00:00Z"))
