"""Redress consumes only cases' legal holds: it finds imported records through cases' internal API when an
officer searches, and keeps no copy of them (issue 17), so a purge in cases needs nothing here: linked records and
corrections hold encounter ids only, the record of what the officer decided. A hold covering those ids spares
the request from redress's own retention run.
"""

from services.redress.db import tables
from shared.disposal import hold_handlers
from shared.events import topics
from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        name="holds",
        topics=(topics.RETENTION,),
        handlers=hold_handlers(tables.metadata),
        description="LegalHoldPlaced, LegalHoldReleased -> the holds that spare requests from disposal",
    ),
)
