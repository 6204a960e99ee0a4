"""Referrals to the owners of the data (issue 28): who receives which kind, replies, overdue; domestic
agreements, withdrawn encounters and the limits that travel with every release."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.disclosure import domain, referrals
from services.disclosure import referral_rules as rules
from shared.errors import Conflict, Invalid
from shared.events.cases import AttachedRow
from tests.unit.disclosure.test_filter import TODAY, _agreement, _case, _encounter

SENT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def test_a_referral_goes_only_to_the_kind_of_recipient_it_is_for() -> None:
    rules.check_recipient("tsc-notice", "tsc", "FBI Terrorist Screening Center")
    rules.check_recipient("owner-referral", "dhs-component", "CBP")
    with pytest.raises(Invalid, match="tsc-notice goes to a recipient of kind tsc; CBP is dhs-component"):
        rules.check_recipient("tsc-notice", "dhs-component", "CBP")
    with pytest.raises(Invalid, match="foreign-partner"):
        rules.check_recipient("dos-alert", "foreign-partner", "UKVI")
    with pytest.raises(Invalid, match="kind must be one of"):
        rules.kind("gossip")


def test_a_reply_is_one_of_its_kinds_decisions_dated_between_sending_and_today() -> None:
    rules.check_reply("tsc-notice", "remove", sent_at=SENT, replied_on=SENT.date(), today=TODAY)
    with pytest.raises(Invalid, match="answered keep, remove, not 'approved'"):
        rules.check_reply("tsc-notice", "approved", sent_at=SENT, replied_on=TODAY, today=TODAY)
    with pytest.raises(Conflict, match="not been sent"):
        rules.check_reply("tsc-notice", "keep", sent_at=None, replied_on=TODAY, today=TODAY)
    with pytest.raises(Invalid, match="future"):
        rules.check_reply("tsc-notice", "keep", sent_at=SENT, replied_on=TODAY + dt.timedelta(days=1), today=TODAY)
    with pytest.raises(Invalid, match="before the referral was sent"):
        rules.check_reply("fast-matcher-removal", "approved", sent_at=SENT, replied_on=dt.date(2026, 1, 1), today=TODAY)


def test_a_reply_is_overdue_once_its_delay_has_passed_unanswered() -> None:
    due = SENT + dt.timedelta(days=14)
    assert rules.due_at(SENT, 14) == due and rules.due_at(None, 14) is None
    assert not rules.overdue(sent_at=SENT, reply_within_days=14, decision=None, now=due)
    assert rules.overdue(sent_at=SENT, reply_within_days=14, decision=None, now=due + dt.timedelta(seconds=1))
    assert not rules.overdue(sent_at=SENT, reply_within_days=14, decision="keep", now=due + dt.timedelta(days=9))
    assert not rules.overdue(sent_at=None, reply_within_days=0, decision=None, now=due)
    assert [rules.status(drafted=d, sent_at=s, decision=r) for d, s, r in [(False, None, None), (True, None, None),
            (True, SENT, None), (True, SENT, "keep")]] == ["due", "drafted", "sent", "replied"]  # fmt: skip


def _row(**kw: object) -> AttachedRow:
    base = {"encounter_id": uuid.uuid4(), "row_number": 1, "subject_id": uuid.uuid4(), "case_id": uuid.uuid4()}
    return AttachedRow(**{**base, **kw})  # type: ignore[arg-type]


def test_tsc_hears_of_every_watchlist_match_in_a_partner_query_and_of_nothing_else() -> None:
    tsc = _row(data_owner="FBI-TSC")
    cbp_same_case = _row(data_owner="CBP", case_id=tsc.case_id)
    m5 = referrals.watchlist_notices([tsc, cbp_same_case], program="M5", upload_kind="partner-query")
    assert [(n["case_id"], n["encounter_ids"]) for n in m5] == [(tsc.case_id, [tsc.encounter_id])]
    kst = referrals.watchlist_notices([cbp_same_case], program="KST", upload_kind="partner-query")
    assert kst[0]["encounter_ids"] == [cbp_same_case.encounter_id] and kst[0]["id"] == m5[0]["id"]
    assert referrals.watchlist_notices([tsc], program="M5", upload_kind="bulk-load") == []
    assert referrals.watchlist_notices([_row(data_owner="CBP")], program="UK-VISA", upload_kind="partner-query") == []


def _domestic(**overrides: object) -> domain.Agreement:
    base = dict(
        partner_country=None,
        partner_agency="U.S. Customs and Border Protection",
        program=domain.ANY,
        data_owners=frozenset({"CBP"}),
        ous=frozenset({"*"}),
        purposes=frozenset({"owner-referral"}),
        recipient_kind="dhs-component",
        use_limits="Official use by CBP only.",
    )
    return _agreement(**{**base, **overrides})


def test_a_domestic_agreement_covers_every_programs_cases_without_a_partner_country_and_states_its_limits() -> None:
    mine, other = _encounter(data_owner="CBP"), _encounter(data_owner="DOS")
    draft = domain.prepare(_case(mine, other), _domestic(), purpose="owner-referral", on=TODAY)
    assert draft.sendable and list(draft.released) == [mine.encounter_id]
    body = domain.render(draft, case_reference="PCSC transaction T-1")
    assert body.rstrip().endswith("USE AND RE-DISSEMINATION LIMITS: Official use by CBP only.")
    # A foreign agreement still needs the case's partner country, and a one-program agreement its program.
    foreign = _agreement(partner_country="ITA", use_limits="No onward sharing.")
    assert not domain.prepare(_case(mine), foreign, purpose="serious-crime", on=TODAY).sendable
    assert not domain.prepare(_case(mine), _domestic(program="KST"), purpose="owner-referral", on=TODAY).sendable


def test_an_encounter_withdrawn_at_its_owners_request_never_leaves_again() -> None:
    kept, withdrawn = _encounter(), _encounter(withdrawn=True)
    draft = domain.prepare(_case(kept, withdrawn), _agreement(), purpose="serious-crime", on=TODAY)
    assert list(draft.released) == [kept.encounter_id]
    assert {w.item: w.rule for w in draft.withheld}[f"encounter {withdrawn.encounter_id}"] == (
        "withdrawn at its data owner's request"
    )


def test_agreement_terms_name_a_country_for_a_foreign_partner_only() -> None:
    terms = {
        "recipient_kind": "tsc",
        "partner_country": None,
        "program": "*",
        "fields": ["fin"],
        "protected_classes": [],
        "caveat": "",
        "purposes": ["watchlist-match-notification"],
        "valid_from": TODAY,
        "valid_to": None,
    }
    domain.check_terms(terms)
    with pytest.raises(Invalid, match="foreign partner only"):
        domain.check_terms({**terms, "partner_country": "GBR"})
    with pytest.raises(Invalid, match="alpha-3"):
        domain.check_terms({**terms, "recipient_kind": "foreign-partner", "program": "M5"})
    with pytest.raises(Invalid, match="program must be one of"):
        domain.check_terms({**terms, "recipient_kind": "foreign-partner", "partner_country": "GBR"})
    with pytest.raises(Invalid, match="recipient_kind"):
        domain.check_terms({**terms, "recipient_kind": "friend"})
