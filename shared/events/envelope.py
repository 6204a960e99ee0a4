"""The one envelope every TRACS event travels in, and the registry of versioned contracts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Event(BaseModel):
    """Base of every event payload; consumers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    topic: ClassVar[str]
    # A view (not a contract): a subset of another contract's fields that a consumer decodes instead of it.
    view_of: ClassVar[type[Event] | None] = None

    def partition_key(self) -> str:
        """The Kafka key that orders this event (subject, case or redress id); every contract defines it."""
        raise TypeError(f"{type(self).__name__} must say which key orders it")


class Envelope(BaseModel):
    """What goes on the wire: metadata for routing, tracing and idempotency, plus the payload."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str
    causation_id: str | None = None
    actor: str = "system"
    key: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        # orjson writes UUIDs and datetimes itself; the payload is JSON-native already.
        return orjson.dumps(
            {
                "event_id": self.event_id,
                "event_type": self.event_type,
                "schema_version": self.schema_version,
                "occurred_at": self.occurred_at,
                "producer": self.producer,
                "correlation_id": self.correlation_id,
                "causation_id": self.causation_id,
                "actor": self.actor,
                "key": self.key,
                "payload": self.payload,
            }
        )


class UndecodableEvent(Exception):
    """Not an envelope at all, or a payload that breaks its contract: dead-letter it."""


class UnsupportedVersion(UndecodableEvent):
    """A known event type in a schema version this code cannot read: dead-letter, never skip silently."""


_REGISTRY: dict[tuple[str, int], type[Event]] = {}


def contract(cls: type[Event]) -> type[Event]:
    """Class decorator: make a contract known to decoders and to the AsyncAPI document."""
    key = (cls.event_type, cls.schema_version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"two contracts claim {key}")
    _REGISTRY[key] = cls
    return cls


def registered_contracts() -> dict[tuple[str, int], type[Event]]:
    return dict(_REGISTRY)


def known_event_types() -> set[str]:
    return {event_type for event_type, _ in _REGISTRY}


def wrap(
    event: Event,
    *,
    producer: str,
    correlation_id: str,
    actor: str = "system",
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    # The event is a validated model already: build the envelope without validating it again.
    return Envelope.model_construct(
        event_id=uuid.uuid4(),
        occurred_at=occurred_at or datetime.now(UTC),
        event_type=event.event_type,
        schema_version=event.schema_version,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        key=event.partition_key(),
        payload=event.model_dump(mode="json"),
    )


def wrap_payload(
    contract_cls: type[Event],
    payload: dict[str, Any],
    *,
    key: str,
    producer: str,
    correlation_id: str,
    actor: str = "system",
    causation_id: str | None = None,
) -> Envelope:
    """Bulk path: an envelope around a JSON-native payload shaped by `contract_cls`, without re-validating it.

    Used where the payload comes from data already validated (100,000-row imports); every consumer still
    validates it against the contract on decode, and contract tests pin the shape.
    """
    return Envelope.model_construct(
        event_id=uuid.uuid4(),
        event_type=contract_cls.event_type,
        schema_version=contract_cls.schema_version,
        occurred_at=datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        key=key,
        payload=payload,
    )


def decode(raw: bytes | None, views: Mapping[str, type[Event]] | None = None) -> tuple[Envelope, Event | None]:
    """Parse wire bytes; the payload is None for an event type this code has never heard of.

    `views` (event type -> a view of its contract) lets a consumer validate only the fields it reads, for the
    version the view was written against; another version is decoded (and refused) as usual.
    """
    if not raw:
        raise UndecodableEvent("empty message")
    try:
        envelope = Envelope.model_validate(orjson.loads(raw))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise UndecodableEvent(f"not a TRACS envelope: {exc}") from exc
    model = _REGISTRY.get((envelope.event_type, envelope.schema_version))
    view = views.get(envelope.event_type) if views else None
    if view is not None and model is view.view_of:
        model = view
    if model is None:
        if envelope.event_type in known_event_types():
            raise UnsupportedVersion(
                f"{envelope.event_type} schema_version {envelope.schema_version} is not readable here"
            )
        return envelope, None
    try:
        return envelope, model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise UndecodableEvent(f"{envelope.event_type} v{envelope.schema_version} payload invalid: {exc}") from exc
