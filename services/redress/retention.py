"""Redress applies its rows of the retention schedule (`shared/disposal.py` runs them): redress requests
(analysis: 15 years after the end of the year closed, with everything recorded on them), Privacy Act access
requests (NARA GRS 4.2 item 020: 6 years) and amendment requests (item 090: with the record amended, 75 years).
A request whose records a legal hold covers stays."""

from __future__ import annotations

from services.redress.db import retention as queries
from services.redress.db import tables
from shared.disposal import ServiceRetention

RETENTION = ServiceRetention(
    "redress",
    {
        "redress-request": ("redress-request", queries.due_requests, queries.dispose_requests),
        "privacy-act-access": ("privacy-act-request", queries.due_privacy_act_access, queries.dispose_privacy_act),
        "privacy-act-amendment": (
            "privacy-act-request",
            queries.due_privacy_act_amendment,
            queries.dispose_privacy_act,
        ),
    },
    tables.metadata,
)
