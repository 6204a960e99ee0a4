"""Addresses a person types get pages a person reads: an unknown path, a short id; the API keeps its JSON."""

from __future__ import annotations

from tests.unit.gateway.console_fake import FakeApi, console_client


def _client():  # type: ignore[no-untyped-def]
    return console_client(FakeApi(), "analyst", {"analyst"}, {"M5"})


def test_an_unknown_console_address_is_a_page_not_json() -> None:
    page = _client().get("/casse")  # a typo of /cases
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "typo" in page.text and '"detail"' not in page.text
    assert '<nav aria-label="Main">' in page.text  # the menu is there to go on from


def test_a_short_id_in_a_case_address_is_explained_not_a_raw_422() -> None:
    page = _client().get("/cases/2edfbe11")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "whole id" in page.text


def test_the_api_keeps_its_json_errors() -> None:
    client = _client()
    assert client.get("/api/v1/nothing-here").json() == {"detail": "no route /api/v1/nothing-here"}
    static = client.get("/static/none.css")
    assert static.status_code == 404 and static.headers["content-type"].startswith("application/json")


def test_a_timeline_detail_reads_as_words_with_short_ids_and_no_empty_values() -> None:
    from services.gateway.console.web import _timeline_detail as _detail

    detail = {
        "from": None,
        "to": "in-review",
        "draft_id": "dc0005ba-c8bb-4952-82d4-9e13468ff756",
        "encounter_ids": ["c658aadb-0e4a-478e-9a86-357ca1f66072", "f77f5aaa-0e4a-478e-9a86-357ca1f66072"],
        "note": "",
    }
    assert _detail(detail) == "to in-review, draft id dc0005ba, encounter ids c658aadb, f77f5aaa"
    assert _detail(None) == ""
