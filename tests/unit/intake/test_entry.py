"""Manual entry is read as a one-row file: same validation, problems named by field, nothing typed dropped."""

from __future__ import annotations

import pytest

from services.intake import entry, rows
from shared.errors import Invalid

RULES = rows.ReadingRules()


def test_a_typed_record_becomes_a_one_row_file_the_catalogue_maps_field_by_field() -> None:
    content = entry.entry_csv({"fin": "40512337", "last_name": "Иванова", "dob": "1987-02-03", "notes": ""})
    assert content.decode().splitlines() == ["fin,last_name,dob", "40512337,Иванова,1987-02-03"]
    entry.check_record(content, rules=RULES, partner_country="AUS")


def test_a_bad_value_is_refused_naming_its_field_as_a_file_row_would_be() -> None:
    content = entry.entry_csv({"fin": "40512337", "dob": "2099-01-01", "gender": "Q"})
    with pytest.raises(Invalid) as refused:
        entry.check_record(content, rules=RULES, partner_country=None)
    fields = [p["field"] for p in refused.value.details["problems"]]
    assert fields == ["dob", "gender"] and "dob: a date in the future" in refused.value.message


def test_a_record_without_identifier_or_with_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(Invalid, match="unknown fields: shoe_size"):
        entry.entry_csv({"fin": "1", "shoe_size": "42"})
    with pytest.raises(Invalid, match="the record is empty"):
        entry.entry_csv({"fin": "  "})
    unknown_fin = entry.entry_csv({"last_name": "Smith", "fin": "UNKNOWN"})
    with pytest.raises(Invalid, match="identifies the subject"):
        entry.check_record(unknown_fin, rules=RULES, partner_country=None)
