"""Cases' disclosure view of a case becomes the summary a draft is prepared from (values, flags, findings)."""

from __future__ import annotations

import uuid
from datetime import date

from services.disclosure import domain

A, B = uuid.UUID(int=2), uuid.UUID(int=1)
CASE, FINDING = uuid.uuid4(), uuid.uuid4()


def _view() -> dict:
    """As cases' /internal/v1/cases/{id}/disclosure answers it (JSON: ids are strings)."""
    return {
        "case_id": str(CASE),
        "program": "PCSC",
        "partner_country": "GRC",
        "matched": True,
        "encounters": [
            {
                "encounter_id": str(A),
                "data_owner": "CBP",
                "ous": "CBP/OFO/JFK",
                "fields": {
                    "last_name": "Lambrou",
                    "dob": "1979-09",
                    "data_owner": "CBP",
                    "ous": "CBP/OFO/JFK",
                    "aliases": ["Lambrou-Pappa"],
                    "middle_name": None,
                    "notes": "",
                    "di_shared": False,
                    "derogatory_information": "CRIMINAL",
                },
                "flags": {"not-sharable": {"set": True}, "derogatory": {"di_shared": True}},
            },
            {
                "encounter_id": str(B),
                "data_owner": "DOS",
                "ous": None,
                "fields": {"last_name": "Lambrou", "data_owner": "DOS", "protected_class": None},
                "flags": {"protected-class": {"class": "T", "caveat": "8 U.S.C. 1367"}},
            },
        ],
        "findings": [
            {"finding_id": str(FINDING), "kind": "summary", "text": "One entry", "encounter_ids": [str(A)]},
        ],
    }


def test_current_values_and_flags_become_the_summary_a_draft_is_prepared_from() -> None:
    s = domain.summary_from_view(_view())
    assert (s.case_id, s.program, s.partner_country, s.matched) == (CASE, "PCSC", "GRC", True)
    first, second = s.encounters
    assert (first.encounter_id, second.encounter_id) == (B, A), "encounters in id order, as drafts always were"
    # Lists and blanks are not quotable values; a bool is quoted as text.
    assert second.values == {
        "last_name": "Lambrou",
        "dob": "1979-09",
        "data_owner": "CBP",
        "ous": "CBP/OFO/JFK",
        "di_shared": "False",
        "derogatory_information": "CRIMINAL",
    }
    assert second.not_sharable is True and second.di_shared is True  # the analyst's flags beat the import
    assert first.protected_class == "T" and first.not_sharable is False and first.data_owner == "DOS"
    (finding,) = s.findings
    assert (finding.finding_id, finding.kind, finding.encounter_ids) == (FINDING, "summary", frozenset({A}))


def test_a_finding_about_a_flagged_encounter_is_withheld_with_it() -> None:
    s = domain.summary_from_view(_view())
    agreement = domain.Agreement(
        agreement_id=uuid.uuid4(),
        version=1,
        partner_country="GRC",
        partner_agency="Hellenic Police",
        program="PCSC",
        data_owners=frozenset({"CBP", "DOS"}),
        ous=frozenset({"*"}),
        fields=frozenset({"last_name", "findings"}),
        di_categories=frozenset(),
        protected_classes=frozenset({"T"}),
        caveat="",
        purposes=frozenset({"serious-crime"}),
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )
    draft = domain.prepare(s, agreement, purpose="serious-crime", on=date(2026, 1, 1))
    withheld = {w.item: w.rule for w in draft.withheld}
    assert withheld[f"encounter {A}"] == "non-sharable flag"
    assert withheld[f"finding {FINDING}"] == "refers to a withheld encounter"
    assert draft.released == {B: {"last_name": "Lambrou"}}
