"""The covering note's check: an analyst's note may not quote what the agreement withheld (plain Python)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.disclosure.domain import CaseSummary, Draft


def leaks(note: str, summary: CaseSummary, draft: Draft) -> list[str]:
    """Withheld items whose values the analyst's note quotes (the rest of the body is built from released
    items only). A value that is also released legitimately (the same country code, say) is not a leak."""
    return sorted({item for item, _ in quoted(note, summary, draft)})


def quoted(note: str, summary: CaseSummary, draft: Draft) -> list[tuple[str, str]]:
    """Each withheld item the note quotes, with the words quoting it (the analyst typed them: naming them back)."""
    released = {v for values in draft.released.values() for v in values.values()}
    withheld_items = {w.item for w in draft.withheld}
    found: set[tuple[str, str]] = set()
    for e in summary.encounters:
        whole = f"encounter {e.encounter_id}" in withheld_items
        for name, value in e.values.items():
            item = f"encounter {e.encounter_id} field {name}"
            if (whole or item in withheld_items) and len(value) >= 3 and value not in released and value in note:
                found.add((item if not whole else f"encounter {e.encounter_id}", value))
    found |= {(f"finding {f.finding_id}", f.text) for f in summary.findings if _quotes_finding(note, f, withheld_items)}
    return sorted(found)


def _quotes_finding(note: str, finding: Any, withheld_items: set[str]) -> bool:
    return f"finding {finding.finding_id}" in withheld_items and len(finding.text) >= 3 and finding.text in note


def leak_message(quotes: list[tuple[str, str]]) -> str:
    shown = "; ".join(f'"{w[:80]}{"..." if len(w) > 80 else ""}"' for w in sorted({w for _, w in quotes})[:10])
    return f"the covering note quotes withheld information: remove {shown} from the note"
