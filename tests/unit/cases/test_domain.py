"""Name search ignores case and accents in every script; subject keys split back into identities."""

from __future__ import annotations

from services.cases import domain
from shared.events.intake import EncounterFields


def test_names_and_aliases_are_all_searchable_in_their_script_and_in_latin() -> None:
    fields = EncounterFields(last_name="Ødegård", first_name="Åse", middle_name="Иван", aliases=("Ase O",))
    keys = domain.name_keys(fields)
    assert keys["name_search"] == "ødegard ase иван ase o"
    assert keys["name_key"] == "odegard ase ivan ase o"
    assert {"odegard", "ase", "ivan", "o", "aseo"} <= set(keys["name_terms"])
    assert not [t for t in keys["name_terms"] if t.startswith("~")]  # alphabets write their vowels: no skeletons


def test_subject_keys_split_back_into_identities() -> None:
    assert domain.identity_of("FIN:0042")["fin"] == "0042"
    assert domain.identity_of("PARTNER:GBR:UK-1") == {
        "fin": None,
        "partner_country": "GBR",
        "partner_unique_id": "UK-1",
    }
    assert domain.identity_of("PARTNER:---:X")["partner_country"] is None


def test_every_imported_field_is_locked() -> None:
    assert {"fin", "last_name", "dob", "data_owner"} <= domain.LOCKED_FIELDS


def test_one_case_per_partner_transaction_else_per_subject_in_its_batch() -> None:
    a = domain.case_key(
        program="PCSC",
        upload_kind="partner-query",
        partner_country="GRC",
        transaction="T1",
        batch_id="b1",
        subject_key="FIN:1",
    )
    b = domain.case_key(
        program="PCSC",
        upload_kind="partner-query",
        partner_country="GRC",
        transaction="T1",
        batch_id="b2",
        subject_key="FIN:1",
    )
    c = domain.case_key(
        program="PCSC",
        upload_kind="partner-query",
        partner_country="GRC",
        transaction=None,
        batch_id="b1",
        subject_key="FIN:1",
    )
    assert a == b and a != c


def test_the_workflow_and_its_refusals() -> None:
    import pytest

    from shared.errors import Conflict, Invalid

    assert domain.transition("new", "in-review", missing_searches=[], reason=None)[0] == domain.Status.IN_REVIEW
    with pytest.raises(Conflict, match="required searches are missing: TECS"):
        domain.transition("in-review", "findings-ready", missing_searches=["TECS"], reason=None)
    assert domain.transition("in-review", "findings-ready", missing_searches=[], reason=None)[1] == "findings_ready_at"
    with pytest.raises(Conflict, match="cannot move to response-sent"):
        domain.transition("new", "response-sent", missing_searches=[], reason=None)
    with pytest.raises(Conflict, match="moved back to new"):
        domain.transition("in-review", "new", missing_searches=[], reason=None)
    with pytest.raises(Invalid, match="needs a reason"):
        domain.transition("closed", "in-review", missing_searches=[], reason="")
    assert domain.transition("closed", "in-review", missing_searches=[], reason="partner asked again")[0] == "in-review"
    with pytest.raises(Invalid, match="unknown status"):
        domain.transition("new", "archived", missing_searches=[], reason=None)


def test_flags_may_change_but_imported_fields_are_locked() -> None:
    import pytest

    from shared.errors import Conflict, Invalid

    domain.check_flag_change({"not-sharable": {}, "fast-matcher": {}})
    with pytest.raises(Conflict, match="locked and cannot be edited: dob, last_name") as refused:
        domain.check_flag_change({"last_name": "X", "dob": "1990", "not-sharable": {}})
    assert refused.value.details["locked"] == ["dob", "last_name"]
    with pytest.raises(Invalid, match="unknown flags: colour"):
        domain.check_flag_change({"colour": {}})
    with pytest.raises(Invalid, match="protected class"):
        domain.check_flag("protected-class", {"class": "Z"})
    with pytest.raises(Invalid, match="description"):
        domain.check_flag("derogatory", {"set": True})
    assert domain.missing_searches(["IDENT-SIT", "TECS"], {"TECS", "CCD"}) == ["IDENT-SIT"]


def test_a_row_cases_cannot_take_is_named_by_its_field_never_by_its_value() -> None:
    ok = EncounterFields(fin="123", last_name="Lee")
    assert domain.row_problem("FIN:123", ok) is None
    assert domain.row_problem("FIN:999", ok) == "the row's subject key does not match its FIN or partner identifier"
    long_name = EncounterFields(fin="123", last_name="x" * 1001)
    assert domain.row_problem("FIN:123", long_name) == "last_name: longer than 1000 characters"
    assert domain.row_problem("FIN:123", EncounterFields(fin="123", last_name="x" * 1000)) is None
    alias = EncounterFields(fin="123", aliases=("y" * 1200,))
    assert domain.row_problem("FIN:123", alias) == "aliases: an alias longer than 1000 characters"
    partner = EncounterFields(partner_unique_id="P-1", partner_country="GBR")
    assert domain.row_problem("PARTNER:GBR:P-1", partner) is None


def test_a_database_refusal_is_told_by_its_kind_and_code() -> None:
    assert domain.refusal_reason("22P05", None) == (
        "cases could not store the row: a value the database cannot store, SQLSTATE 22P05"
    )
    assert domain.refusal_reason("23505", "uq_x") == (
        "cases could not store the row: it breaks an integrity rule (uq_x), SQLSTATE 23505"
    )
    assert domain.refusal_reason(None, None).endswith("the database refused it, SQLSTATE unknown")


def test_a_response_sent_moves_an_open_case_to_response_sent_and_leaves_a_closed_one() -> None:
    for open_status in ("new", "in-review", "findings-ready"):
        assert domain.after_response_sent(open_status) == domain.Status.RESPONSE_SENT
    assert domain.after_response_sent("response-sent") is None
    assert domain.after_response_sent("closed") is None
