"""Agreement versions under review (PIA 8.4): a change is a draft until a privacy officer other than its
author approves it; only the approved version governs a draft or a send. Plain Python, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict, Forbidden

DRAFT, APPROVED, REJECTED, RETIRED = "draft", "approved", "rejected", "retired"
COMPARED = (
    "partner_country",
    "partner_agency",
    "program",
    "data_owners",
    "ous",
    "fields",
    "di_categories",
    "protected_classes",
    "caveat",
    "purposes",
    "valid_from",
    "valid_to",
)


def require_no_open_draft(draft: Mapping[str, Any] | None) -> None:
    """One draft at a time: a second change before the first is reviewed would leave the reviewer unsure
    which one they approve against the version in force."""
    if draft is not None:
        raise Conflict(f"version {draft['version']} awaits a privacy officer's review: approve or reject it first")


def require_reviewable(version: Mapping[str, Any], *, reviewer: str) -> None:
    """Only a draft is reviewed, and never by the person who wrote it."""
    if version["status"] != DRAFT:
        raise Conflict(f"version {version['version']} is {version['status']}; only a draft is approved or rejected")
    if version["changed_by"] == reviewer:
        raise Forbidden(f"version {version['version']} was written by {reviewer}: another privacy officer approves it")


def require_governs(agreement: Mapping[str, Any] | None, version: int) -> None:
    """A draft is sent only under the version in force now: a newer approval since the draft refuses it."""
    approved = agreement["approved_version"] if agreement is not None else None
    if approved is None:
        raise Conflict("no approved version of this agreement is in force; a privacy officer approves one first")
    if approved != version:
        raise Conflict(
            f"this response was drafted under agreement version {version}, and version {approved} governs now: "
            "draft it again"
        )


def compare(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Two versions term by term, side by side, each row saying whether the term changed."""
    rows = []
    for term in COMPARED:
        a, b = _plain(left[term]), _plain(right[term])
        rows.append({"term": term, "left": a, "right": b, "changed": a != b})
    return rows


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, list | tuple | set | frozenset) else value
