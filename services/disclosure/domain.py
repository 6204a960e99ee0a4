"""Disclosure rules (the agreement filter comes with the disclosure issue): what it must know of an encounter."""

from __future__ import annotations

from shared.events.cases import EncounterAttached

# Special protected classes are withheld from every disclosure unless an agreement says otherwise.
PROTECTED_CLASSES = frozenset({"T", "U", "VAWA", "ASYLEE", "REFUGEE", "TPS"})


def projection_row(event: EncounterAttached) -> dict[str, object]:
    """The facts a sharing decision needs: owner, program, partner, protection; no names."""
    return {
        "encounter_id": event.encounter_id,
        "subject_id": event.subject_id,
        "program": event.program,
        "data_owner": event.data_owner,
        "partner_country": event.partner_country,
        "protected_class": event.protected_class,
        "special_protected": event.protected_class in PROTECTED_CLASSES,
    }
