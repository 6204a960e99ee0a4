"""Name search ignores case and accents in every script; subject keys split back into identities."""

from __future__ import annotations

from services.cases import domain
from shared.events.intake import EncounterFields


def test_search_form_folds_case_and_accents_but_keeps_scripts() -> None:
    assert domain.search_form("  MÜLLER  José ") == "muller jose"
    assert domain.search_form("ИВАНОВ") == domain.search_form("иванов")
    assert domain.search_form("李小龙") == "李小龙"


def test_names_and_aliases_are_all_searchable() -> None:
    fields = EncounterFields(last_name="Ødegård", first_name="Åse", aliases=("Ase O",))
    assert domain.name_search_text(fields) == "ødegard ase ase o"


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
