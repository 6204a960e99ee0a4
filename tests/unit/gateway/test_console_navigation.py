"""The menu offers what the user can use: cases and imports only to members of a case program."""

from __future__ import annotations

import re

from tests.unit.gateway.console_fake import FakeApi, console_client


def _menu(roles: set[str], programs: set[str]) -> list[str]:
    fake = FakeApi()
    fake.on("GET", "/api/v1/bulletins", [])
    page = console_client(fake, "someone", roles, programs).get("/bulletins")
    assert page.status_code == 200, page.text
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page.text, re.S)
    assert nav is not None
    return re.findall(r'<a href="([^"]+)"', nav[1])


def test_an_analyst_of_the_reporting_program_only_is_not_offered_cases_or_imports() -> None:
    menu = _menu({"analyst"}, {"REPORTING"})
    assert "/cases" not in menu and "/imports" not in menu
    assert "/bulletins" in menu


def test_an_analyst_of_a_case_program_is_offered_both() -> None:
    menu = _menu({"analyst"}, {"M5", "REPORTING"})
    assert "/cases" in menu and "/imports" in menu
