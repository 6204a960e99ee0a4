"""The gateway consumes no events: it speaks HTTP only."""

from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
