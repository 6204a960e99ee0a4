"""Rules behind the console's worklists and refusals: whose imports, who discards a draft, which words leak,
when a redress request is about to breach its SLA, what a login's new password and contact must be."""

from __future__ import annotations

from datetime import date

import pytest

from services.disclosure import gate
from services.gateway import domain
from services.intake import imports
from services.redress import sla
from shared.errors import Forbidden, Invalid


def test_an_analyst_lists_their_own_imports_and_a_supervisor_everyones_unless_asking_for_their_own() -> None:
    assert imports.whose(actor="ann", mine=False, sees_all=False) == "ann"
    assert imports.whose(actor="sue", mine=False, sees_all=True) is None
    assert imports.whose(actor="sue", mine=True, sees_all=True) == "sue"


def test_only_the_drafter_or_a_supervisor_discards_a_draft_and_only_while_it_is_a_draft() -> None:
    gate.require_discarder(drafter="ann", actor="ann", is_supervisor=False)
    gate.require_discarder(drafter="ann", actor="sue", is_supervisor=True)
    with pytest.raises(Forbidden, match=r"only its drafter \(ann\) or a supervisor"):
        gate.require_discarder(drafter="ann", actor="bob", is_supervisor=False)
    with pytest.raises(Exception, match="in-review cannot be discarded"):
        gate.require_status(gate.IN_REVIEW, (gate.DRAFT,), "discarded")


def test_a_request_due_within_the_warning_days_or_overdue_is_about_to_breach() -> None:
    assert sla.due_by(date(2026, 12, 4), 3) == date(2026, 12, 7)


def test_a_new_password_is_long_enough_and_not_the_old_one() -> None:
    domain.check_new_password("temporary-123456", "my own password")
    with pytest.raises(Invalid, match="new_password: a password needs at least 12"):
        domain.check_new_password("temporary-123456", "short")
    with pytest.raises(Invalid, match="other than the current one"):
        domain.check_new_password("temporary-123456", "temporary-123456")


def test_a_colleagues_name_is_one_line_and_an_email_an_address() -> None:
    domain.check_contact("Maria Kowalska", "maria.k@tracs.example")
    domain.check_contact(None, "")
    with pytest.raises(Invalid, match="one line"):
        domain.check_contact("Maria\nKowalska", None)
    with pytest.raises(Invalid, match="not an e-mail address"):
        domain.check_contact(None, "maria@localhost")


def test_a_disabled_account_is_refused_before_its_training_is_even_looked_at() -> None:
    account = domain.Account("ann", frozenset({"analyst"}), frozenset(), 0, None, None, disabled=True)
    assert "disabled by an administrator" in (
        domain.access_refusal(account, today=date(2026, 12, 4), valid_days=365) or ""
    )
