"""Redress settings (`TRACS_REDRESS_*` beats `TRACS_*`)."""

from datetime import date
from typing import ClassVar

from pydantic import Field

from shared.settings import RetentionSettings


class Settings(RetentionSettings):
    service_name: ClassVar[str] = "redress"
    default_port: ClassVar[int] = 8104

    # Days from receipt to the due date, per source (the EPR measures the share within them).
    sla_days_trip: int = Field(30, ge=1)
    sla_days_other: int = Field(45, ge=1)
    # A request due within this many days is announced as about to breach (RedressSlaNearing), checked this often.
    sla_warning_days: int = Field(3, ge=0)
    sla_watch_interval_seconds: float = Field(300.0, gt=0)

    # The source systems an officer searches for a request (PIA Appendix A, as cases' catalogue), and the ones
    # the redress program requires before a request may be resolved.
    search_catalogue: list[str] = Field(
        default_factory=lambda: [
            "ADIS",
            "TECS",
            "CIS",
            "PCQS",
            "EAGLE",
            "EARM",
            "CCD",
            "EOIR",
            "INTERPOL-EASF2",
            "IDENT-SIT",
        ]
    )
    required_searches: list[str] = Field(default_factory=lambda: ["IDENT-SIT"])

    # Privacy Act clocks in working days (privacy_act_rules.py): access answered, amendment acknowledged and
    # decided, appeal decided; the federal holidays the clocks skip besides weekends.
    privacy_act_access_days: int = Field(20, ge=1)
    privacy_act_amendment_ack_days: int = Field(10, ge=1)
    privacy_act_amendment_days: int = Field(30, ge=1)
    privacy_act_appeal_days: int = Field(30, ge=1)
    holidays: list[date] = Field(default_factory=list)

    # Cases' internal API: candidates are searched there (every program's records), linked records checked there.
    cases_url: str = "http://127.0.0.1:8102"
