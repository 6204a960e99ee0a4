"""Event envelope and contracts; importing this package registers every contract."""

from shared.events import audit, cases, disclosure, gateway, intake, redress, retention  # noqa: F401 - registers the contracts
from shared.events.envelope import (
    Envelope,
    Event,
    UndecodableEvent,
    UnsupportedVersion,
    contract,
    decode,
    registered_contracts,
    wrap,
)

__all__ = [
    "Envelope",
    "Event",
    "UndecodableEvent",
    "UnsupportedVersion",
    "contract",
    "decode",
    "registered_contracts",
    "wrap",
]
