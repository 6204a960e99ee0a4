"""Disclosure applies its rows of the retention schedule (`shared/disposal.py` runs them): the accounting of
disclosures (75 years after the end of the year sent: the Privacy Act's 5 years or the life of the record,
whichever is longer, the record living 75), notices to data owners (the same: a notice is a disclosure), and
drafts never sent (analysis: 15 years after the end of the year of their last edit). Held records stay."""

from __future__ import annotations

from services.disclosure.db import retention as queries
from services.disclosure.db import tables
from shared.disposal import ServiceRetention

RETENTION = ServiceRetention(
    "disclosure",
    {
        "accounting": ("accounting", queries.due_accounting, queries.dispose_accounting),
        "owner-notice": ("owner-notification", queries.due_owner_notices, queries.dispose_owner_notices),
        "draft": ("draft", queries.due_unsent_drafts, queries.dispose_drafts),
    },
    tables.metadata,
)
