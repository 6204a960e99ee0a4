"""Intake consumes no events: it is where encounters enter the system."""

from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
