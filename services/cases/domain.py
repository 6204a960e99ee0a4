"""Cases rules: who a subject is, how names are searched, which encounter fields are locked."""

from __future__ import annotations

import re
import unicodedata

from shared.events.intake import EncounterFields

# Everything imported from IDENT or a partner is locked: only a redress correction may change it.
LOCKED_FIELDS = frozenset(EncounterFields.model_fields)


def search_form(text: str | None) -> str:
    """Case- and accent-insensitive form of a name; non-Latin scripts are kept, only folded."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def name_search_text(fields: EncounterFields) -> str:
    """Every name and alias of an encounter in search form, for one index."""
    names = [fields.last_name, fields.first_name, fields.middle_name, *fields.aliases]
    return " ".join(search_form(n) for n in names if n)


def identity_of(subject_key: str) -> dict[str, str | None]:
    """Split a subject key back into FIN or partner identity."""
    kind, _, rest = subject_key.partition(":")
    if kind == "FIN":
        return {"fin": rest, "partner_country": None, "partner_unique_id": None}
    country, _, pid = rest.partition(":")
    return {"fin": None, "partner_country": None if country == "---" else country, "partner_unique_id": pid}
