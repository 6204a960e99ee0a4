"""Name search ignores case and accents in every script; subject keys split back into identities."""

from __future__ import annotations

import pytest

from services.cases import domain
from shared.errors import Conflict, Invalid
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


def test_import_flags_come_from_the_file_s_fast_matcher_and_di_columns_naming_each_column() -> None:
    fields = EncounterFields(
        fin="40512337",
        fast_matcher_status="KST",
        derogatory_information="IMMIGRATION",
        di_description="Overstayed a B-2 admission by 41 days",
        di_shared=True,
    )
    raw = {"FIN": "40512337", "Fast Matcher": "KST", "DI": "IMMIGRATION", "DI Shared": "Y"}
    flags = domain.import_flags(fields, raw, protected_caveat="caveat")
    assert flags["fast-matcher"] == {"set": True, "status": "KST", "source": "file", "column": "Fast Matcher"}
    assert flags["derogatory"]["description"] == "Overstayed a B-2 admission by 41 days"
    assert (flags["derogatory"]["column"], flags["derogatory"]["di_shared"]) == ("DI", True)
    assert "protected-class" not in flags


def test_a_negative_or_blank_watchlist_cell_sets_no_flag_and_kst_is_read_from_the_status_in_any_program() -> None:
    for negative in ("N", "no", "None", "Clear", "NO MATCH", "", None):
        assert not domain.says_yes(negative)
        assert domain.import_flags(EncounterFields(fast_matcher_status=negative), {}, protected_caveat="c") == {}
    assert domain.says_yes("WANTS/WARRANTS")
    assert domain.is_kst("M5", "KST") and domain.is_kst("UK-VISA", "Known or suspected terrorist")
    assert not domain.is_kst("M5", "WANTS/WARRANTS") and not domain.is_kst("PCSC", "NO")
    assert domain.is_kst("KST", None)  # the KST program's partners query KST records only


def test_a_di_description_alone_is_derogatory_information_and_the_column_is_the_field_when_ambiguous() -> None:
    fields = EncounterFields(di_description="Removed 2019")
    flags = domain.import_flags(fields, {"A": "Removed 2019", "B": "Removed 2019"}, protected_caveat="c")
    assert flags["derogatory"]["column"] == "di_description" and flags["derogatory"]["category"] is None


def test_flags_are_on_unless_cleared_and_an_unknown_flag_name_is_refused_by_name() -> None:
    assert domain.flag_is_on("derogatory", {"set": True, "description": "x"})
    assert not domain.flag_is_on("derogatory", {"set": False})
    assert not domain.flag_is_on("protected-class", {"class": None})
    with pytest.raises(Invalid, match="unknown flag 'watch'"):
        domain.check_flag_name("watch")


def test_no_derogatory_information_found_is_a_finding_of_its_own() -> None:
    domain.check_finding("no-derogatory-information", "IDENT and ADIS searched; nothing adverse")


def _member(roles: list[str], programs: list[str], active: bool = True) -> dict[str, object]:
    return {"username": "u", "roles": roles, "programs": programs, "active": active}


def test_a_case_goes_only_to_an_active_analyst_or_supervisor_of_its_program_and_the_refusal_names_the_field() -> None:
    domain.check_assignee("analyst", _member(["analyst"], ["M5"]), "M5")
    refusals = {
        "no TRACS user is called 'anlyst'": None,
        "is not an active user": _member(["analyst"], ["M5"], active=False),
        "is not an analyst or supervisor": _member(["auditor"], ["M5"]),
        "does not belong to program M5": _member(["analyst"], ["PCSC"]),
    }
    for why, member in refusals.items():
        with pytest.raises(Invalid, match=f"assignee: .*{why}") as refused:
            domain.check_assignee("anlyst", member, "M5")
        assert refused.value.details == {"field": "assignee"}


def test_the_status_control_offers_only_the_moves_the_rules_allow() -> None:
    assert domain.allowed_moves("new", may_reopen=False) == ["in-review", "closed"]
    assert domain.allowed_moves("in-review", may_reopen=False) == ["findings-ready", "closed"]
    assert domain.allowed_moves("closed", may_reopen=False) == []
    assert domain.allowed_moves("closed", may_reopen=True) == ["in-review"]


def test_the_person_s_record_names_each_value_s_source_and_marks_imported_fields_locked() -> None:
    fields = {"fin": "40512337", "eid": "EID-7741002", "derogatory_information": "IMMIGRATION", "ous": "CBP/OFO/LAX"}
    flags = [
        {"flag": "derogatory", "value": {"set": True, "column": "DI"}, "set_by": "system"},
        {"flag": "not-sharable", "value": {"set": True}, "set_by": "analyst"},
    ]
    record = {r["field"]: r for r in domain.person_record(fields, {"ous"}, flags)}
    assert (record["fin"]["value"], record["fin"]["source"], record["fin"]["locked"]) == ("40512337", "file", True)
    assert record["ous"]["source"] == "correction" and record["eid"]["value"] == "EID-7741002"
    assert (record["flag:derogatory"]["source"], record["flag:derogatory"]["column"]) == ("file", "DI")
    assert record["flag:not-sharable"]["source"] == "analyst" and not record["flag:not-sharable"]["locked"]


def test_an_analyst_takes_only_an_unassigned_case_or_their_own() -> None:
    domain.check_take(None, "analyst")
    domain.check_take("analyst", "analyst")
    with pytest.raises(Conflict, match="assigned to supervisor; a supervisor may reassign it"):
        domain.check_take("supervisor", "analyst")


def test_a_relinked_encounter_joins_the_same_partner_query_for_its_right_person() -> None:
    from services.cases.domain import new_subject_key, relinked_case_key

    key = "PCSC|partner-query|GRC|TCN:T-1|FIN:123"
    assert relinked_case_key(key, "FIN:123", "FIN:456", "r1") == "PCSC|partner-query|GRC|TCN:T-1|FIN:456"
    back = relinked_case_key("PCSC|partner-query|GRC|TCN:T-1|FIN:456", "FIN:456", "FIN:123", "r2")
    assert back == key  # undoing lands in the very case the encounter left
    assert relinked_case_key("odd-key", "FIN:123", "RELINK:x", "r3") == "odd-key|RELINK:r3|RELINK:x"
    assert new_subject_key("abc") == "RELINK:abc"


def test_a_response_sent_moves_an_open_case_to_response_sent_and_leaves_a_closed_one() -> None:
    for open_status in ("new", "in-review", "findings-ready"):
        assert domain.after_response_sent(open_status) == domain.Status.RESPONSE_SENT
    assert domain.after_response_sent("response-sent") is None
    assert domain.after_response_sent("closed") is None
