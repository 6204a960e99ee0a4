"""The case list's plain rules: the orders it may be sorted in, and a case id typed whole or as the short id the
console shows. No framework import; `search.py` applies them, `db/search.py` turns them into SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.cases.domain import Status
from shared.errors import Invalid

# The columns an analyst sorts the queue by; ties are broken by opening time, then id, in the same direction.
SORT_KEYS = ("opened", "status", "assignee", "program")
SORTS = tuple(s for key in SORT_KEYS for s in (key, f"-{key}"))
DEFAULT_SORT = "opened"  # oldest first, as the API always listed: a tool paging by cursor keeps its order
# Statuses sort in the order a case moves through them, not alphabetically.
STATUS_ORDER = {status.value: n for n, status in enumerate(Status)}
SHORT_ID = 8


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def name(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def parse_sort(value: str | None) -> Sort:
    """`opened`, `-opened` (newest first), `status`, ... ; anything else is refused naming the allowed values."""
    text = (value or DEFAULT_SORT).strip()
    if text not in SORTS:
        raise Invalid(f"sort: unknown order {text!r}; one of {', '.join(SORTS)}")
    return Sort(text.removeprefix("-"), text.startswith("-"))


DEFAULT_ORDER = parse_sort(DEFAULT_SORT)


def case_id_range(text: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The ids a typed case id may stand for, lowest and highest: one for a whole id, every id starting with
    them for the 8-character short id (so the lookup is a range of the primary key, not a scan of text)."""
    typed = text.strip().lower()
    if len(typed) == SHORT_ID and all(ch in "0123456789abcdef" for ch in typed):
        return uuid.UUID(typed + "0" * 24), uuid.UUID(typed + "f" * 24)
    try:
        whole = uuid.UUID(typed)
    except ValueError:
        raise Invalid(f"case: {text!r} is neither a case id nor the 8-character short id of one") from None
    return whole, whole
