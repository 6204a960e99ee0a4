"""Nothing an agreement does not allow can leave: examples for each rule, and properties over random cases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.disclosure import domain, note_check
from services.disclosure.domain import Agreement, CaseSummary, EncounterView, FindingView

TODAY = date(2026, 11, 24)
OWNERS = ["CBP", "ICE", "USCIS", "DOS", "FBI-TSC"]
FIELDS = [
    "fin",
    "last_name",
    "first_name",
    "dob",
    "nationality",
    "encounter_date",
    "derogatory_information",
    "di_description",
    "passport_number",
]
CLASSES = ["T", "U", "VAWA", "ASYLEE", "REFUGEE", "TPS"]


def _agreement(**overrides: object) -> Agreement:
    base = dict(
        agreement_id=uuid.uuid4(),
        version=3,
        partner_country="GRC",
        partner_agency="Hellenic Police",
        program="PCSC",
        data_owners=frozenset({"CBP", "DOS"}),
        ous=frozenset({"CBP/OFO", "DOS"}),
        fields=frozenset({"fin", "last_name", "dob", "derogatory_information", "findings"}),
        di_categories=frozenset({"CRIMINAL"}),
        protected_classes=frozenset(),
        caveat="",
        purposes=frozenset({"serious-crime"}),
        valid_from=date(2020, 1, 1),
        valid_to=date(2030, 1, 1),
    )
    return Agreement(**{**base, **overrides})  # type: ignore[arg-type]


def _encounter(**overrides: object) -> EncounterView:
    base = dict(
        encounter_id=uuid.uuid4(),
        data_owner="CBP",
        ous="CBP/OFO/JFK",
        protected_class=None,
        not_sharable=False,
        di_shared=True,
        values={"fin": "0012345", "last_name": "Papadakis", "dob": "1970-01-01", "passport_number": "X99887"},
    )
    return EncounterView(**{**base, **overrides})  # type: ignore[arg-type]


def _case(*encounters: EncounterView, findings: tuple[FindingView, ...] = ()) -> CaseSummary:
    return CaseSummary(uuid.uuid4(), "PCSC", "GRC", True, encounters, findings)


def _rules(draft: domain.Draft) -> dict[str, str]:
    return {w.item: w.rule for w in draft.withheld}


def test_each_rule_withholds_with_its_name() -> None:
    ok = _encounter()
    flagged = _encounter(not_sharable=True)
    protected = _encounter(protected_class="VAWA")
    foreign_owner = _encounter(data_owner="ICE")
    wrong_ous = _encounter(ous="CBP/USBP/TUC")
    case = _case(ok, flagged, protected, foreign_owner, wrong_ous)
    draft = domain.prepare(case, _agreement(), purpose="serious-crime", on=TODAY)
    rules = _rules(draft)
    assert rules[f"encounter {flagged.encounter_id}"] == "non-sharable flag"
    assert rules[f"encounter {protected.encounter_id}"] == "special protected class"
    assert rules[f"encounter {foreign_owner.encounter_id}"] == "data owner not covered"
    assert rules[f"encounter {wrong_ous.encounter_id}"] == "O/U/S not covered"
    assert rules[f"encounter {ok.encounter_id} field passport_number"] == "field not allowed"
    assert draft.released == {ok.encounter_id: {"dob": "1970-01-01", "fin": "0012345", "last_name": "Papadakis"}}
    body = domain.render(draft, case_reference="PCSC-1")
    assert "Papadakis" in body and "X99887" not in body and "MATCH" in body
    assert body.startswith("Response to PCSC-1\n")  # a partner's response
    notice = domain.render(draft, case_reference="PCSC-1", purpose="watchlist-match-notification")
    assert notice.startswith("Notice of a watchlist match on PCSC-1\n")  # TSC's notice says what it is


def test_an_expired_agreement_or_wrong_purpose_releases_nothing_and_cannot_be_sent() -> None:
    case = _case(_encounter())
    expired = domain.prepare(case, _agreement(valid_to=TODAY - timedelta(days=1)), purpose="serious-crime", on=TODAY)
    assert not expired.sendable and expired.released == {} and set(_rules(expired).values()) == {"agreement expired"}
    wrong = domain.prepare(case, _agreement(), purpose="immigration", on=TODAY)
    assert not wrong.sendable and set(_rules(wrong).values()) == {"purpose not allowed by the agreement"}
    other = domain.prepare(case, _agreement(partner_country="ITA"), purpose="serious-crime", on=TODAY)
    assert set(_rules(other).values()) == {"agreement does not cover this partner and program"}


def test_protected_classes_leave_only_when_named_and_always_with_the_caveat() -> None:
    tps = _encounter(protected_class="TPS")
    agreement = _agreement(protected_classes=frozenset({"TPS"}), caveat="8 U.S.C. 1367 confidentiality applies")
    draft = domain.prepare(_case(tps), agreement, purpose="serious-crime", on=TODAY)
    assert tps.encounter_id in draft.released
    assert "CAVEAT: 8 U.S.C. 1367 confidentiality applies" in domain.render(draft, case_reference="c")


def test_derogatory_information_needs_the_di_shared_indicator_and_an_allowed_category() -> None:
    values = {"fin": "1", "derogatory_information": "CRIMINAL"}
    shared = _encounter(values=values)
    unshared = _encounter(values=values, di_shared=False)
    other_category = _encounter(values={"fin": "2", "derogatory_information": "IMMIGRATION"})
    draft = domain.prepare(_case(shared, unshared, other_category), _agreement(), purpose="serious-crime", on=TODAY)
    assert draft.released[shared.encounter_id]["derogatory_information"] == "CRIMINAL"
    rules = _rules(draft)
    assert rules[f"encounter {unshared.encounter_id} field derogatory_information"] == (
        "derogatory information not sharable"
    )
    assert rules[f"encounter {other_category.encounter_id} field derogatory_information"] == (
        "derogatory information not sharable"
    )


def test_findings_about_withheld_encounters_stay_and_notes_cannot_smuggle_withheld_values() -> None:
    ok, flagged = _encounter(), _encounter(not_sharable=True, values={"last_name": "Hiddenopoulos"})
    about_flagged = FindingView(
        uuid.uuid4(), "travel history", "Seen at Athens 2019", frozenset({flagged.encounter_id})
    )
    general = FindingView(uuid.uuid4(), "summary", "One prior entry")
    case = _case(ok, flagged, findings=(about_flagged, general))
    draft = domain.prepare(case, _agreement(), purpose="serious-crime", on=TODAY)
    assert draft.findings == [general]
    assert _rules(draft)[f"finding {about_flagged.finding_id}"] == "refers to a withheld encounter"
    assert note_check.leaks("Please also note Hiddenopoulos.", case, draft) == [f"encounter {flagged.encounter_id}"]
    assert note_check.leaks("Regards, OBIM", case, draft) == []


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÄÖ李0123456789", min_size=3, max_size=10)
encounters = st.builds(
    EncounterView,
    encounter_id=st.uuids(),
    data_owner=st.sampled_from([*OWNERS, None]),
    ous=st.sampled_from(["CBP/OFO/JFK", "CBP/USBP", "DOS/CA", "ICE/ERO", None]),
    protected_class=st.sampled_from([None, None, *CLASSES]),
    not_sharable=st.booleans(),
    di_shared=st.sampled_from([True, False, None]),
    values=st.dictionaries(st.sampled_from(FIELDS), words, max_size=len(FIELDS)),
)
agreements = st.builds(
    Agreement,
    agreement_id=st.uuids(),
    version=st.integers(1, 9),
    partner_country=st.just("GRC"),
    partner_agency=st.just("Hellenic Police"),
    program=st.just("PCSC"),
    data_owners=st.frozensets(st.sampled_from(OWNERS)),
    ous=st.frozensets(st.sampled_from(["CBP", "CBP/OFO", "DOS", "ICE", "*"])),
    fields=st.frozensets(st.sampled_from([*FIELDS, "findings"])),
    di_categories=st.frozensets(words, max_size=2),
    protected_classes=st.frozensets(st.sampled_from(CLASSES)),
    caveat=st.sampled_from(["", "Confidential under 8 U.S.C. 1367"]),
    purposes=st.just(frozenset({"serious-crime"})),
    valid_from=st.dates(date(2015, 1, 1), date(2026, 12, 31)),
    valid_to=st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2035, 1, 1))),
)


@settings(max_examples=400, deadline=None)
@given(
    agreement=agreements,
    encs=st.lists(encounters, max_size=6, unique_by=lambda e: e.encounter_id),
    on=st.dates(date(2018, 1, 1), date(2032, 1, 1)),
)
def test_nothing_released_breaks_any_rule_and_every_item_is_accounted_for(
    agreement: Agreement, encs: list[EncounterView], on: date
) -> None:
    case = CaseSummary(uuid.uuid4(), "PCSC", "GRC", True, tuple(encs))
    draft = domain.prepare(case, agreement, purpose="serious-crime", on=on)
    by_id = {e.encounter_id: e for e in encs}
    for encounter_id, values in draft.released.items():
        e = by_id[encounter_id]
        # An independent statement of the rules (the oracle), checked against every released field.
        assert agreement.in_force(on) and not e.not_sharable
        assert e.protected_class is None or e.protected_class in agreement.protected_classes
        assert e.data_owner in agreement.data_owners
        assert "*" in agreement.ous or any((e.ous or "").startswith(p) for p in agreement.ous)
        for name in values:
            assert name in agreement.fields
            if name in domain.DI_FIELDS:
                assert e.di_shared is True and e.values.get("derogatory_information") in agreement.di_categories
        if e.protected_class:
            assert agreement.caveat == "" or agreement.caveat in draft.caveats
    withheld = {w.item for w in draft.withheld}
    for e in encs:
        whole = f"encounter {e.encounter_id}" in withheld
        assert whole != (e.encounter_id in draft.released)
        for name in e.values:
            field_withheld = f"encounter {e.encounter_id} field {name}" in withheld
            if not whole:
                assert field_withheld != (name in draft.released[e.encounter_id])


@settings(max_examples=300, deadline=None)
@given(
    agreement=agreements,
    encs=st.lists(encounters, min_size=1, max_size=5, unique_by=lambda e: e.encounter_id),
    data=st.data(),
)
def test_no_withheld_value_reaches_an_email_that_passes_the_leak_check(
    agreement: Agreement, encs: list[EncounterView], data: st.DataObject
) -> None:
    case = CaseSummary(uuid.uuid4(), "PCSC", "GRC", True, tuple(encs))
    draft = domain.prepare(case, agreement, purpose="serious-crime", on=TODAY)
    every_value = [v for e in encs for v in e.values.values()] or ["nothing"]
    note = " ".join(data.draw(st.lists(st.sampled_from(every_value), max_size=3)))
    if note_check.leaks(note, case, draft):
        return  # the draft is refused
    body = domain.render(draft, case_reference="PCSC-7", note=note)
    template = domain.render(draft, case_reference="PCSC-7")
    released = {v for values in draft.released.values() for v in values.values()}
    for e in encs:
        for name, value in e.values.items():
            if name not in draft.released.get(e.encounter_id, {}) and value not in released and len(value) >= 3:
                # A withheld value can only be in the email if the released-only template already holds it
                # by coincidence (a field name, say); the note never brings one in.
                assert value not in body or value in template


def test_the_annual_audit_names_each_inconsistency() -> None:
    clean = dict(
        sent_on=TODAY,
        fields=["fin"],
        purpose="serious-crime",
        owners=["CBP"],
        recipient_matches=True,
        allowed_fields=["fin"],
        purposes=["serious-crime"],
        valid_from=date(2020, 1, 1),
        valid_to=None,
        data_owners=["CBP"],
    )
    assert domain.audit_problems(**clean) == []
    bad = {
        **clean,
        "sent_on": date(2019, 1, 1),
        "fields": ["fin", "passport_number"],
        "purpose": "curiosity",
        "owners": ["CBP", "DOS"],
        "recipient_matches": False,
    }
    assert domain.audit_problems(**bad) == [
        "sent outside the agreement's validity",
        "field passport_number not allowed by the agreement",
        "purpose curiosity not allowed by the agreement",
        "data owner DOS not covered",
        "recipient does not belong to the agreement",
    ]


def test_a_dates_precision_leaves_with_the_date_and_is_withheld_with_it() -> None:
    e = _encounter(
        values={"fin": "0012345", "dob": "1970", "dob_precision": "year", "encounter_date_precision": "day"},
    )
    draft = domain.prepare(_case(e), _agreement(), purpose="serious-crime", on=TODAY)
    assert draft.released == {e.encounter_id: {"fin": "0012345", "dob": "1970", "dob_precision": "year"}}
    assert _rules(draft) == {f"encounter {e.encounter_id} field encounter_date_precision": "field not allowed"}
