"""Contracts published by the gateway: the staff its user store knows, for services that check assignees."""

from __future__ import annotations

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class StaffChanged(Event):
    """A login was created or changed: its name, roles, programs and whether it may work. No password, no
    contact detail; the newest event for a username is the whole truth about it (keyed by username)."""

    event_type = "StaffChanged"
    schema_version = 1
    topic = topics.GATEWAY_STAFF

    username: str
    roles: list[str]
    programs: list[str]
    active: bool = True

    def partition_key(self) -> str:
        return self.username
