"""Redress consumes no events: it finds imported records through cases' internal API when an officer searches.

It keeps no copy of them (issue 17), so a purge in cases needs nothing here: linked records and corrections hold
encounter ids only, the record of what the officer decided.
"""

from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
