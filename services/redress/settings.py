"""Redress settings (`TRACS_REDRESS_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "redress"
    default_port: ClassVar[int] = 8104

    # Days from receipt to the due date, per source (the EPR measures the share within them).
    sla_days_trip: int = Field(30, ge=1)
    sla_days_other: int = Field(45, ge=1)

    # Cases' internal API: candidates are searched there (every program's records), linked records checked there.
    cases_url: str = "http://127.0.0.1:8102"
