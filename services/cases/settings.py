"""Cases settings (`TRACS_CASES_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings

SOURCE_SYSTEMS = ["ADIS", "TECS", "CIS", "PCQS", "EAGLE", "EARM", "CCD", "EOIR", "INTERPOL-EASF2", "IDENT-SIT"]


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "cases"
    default_port: ClassVar[int] = 8102

    page_size_max: int = Field(500, ge=1)
    # Import chunks (up to 1,000 rows or 1 MiB each) applied per transaction: bounds memory and the time
    # until the first answers; more per transaction saves little once a chunk is 1,000 rows.
    chunks_per_transaction: int = Field(4, ge=1, le=100)
    # The source systems analysts search (PIA Appendix A); configurable.
    search_catalogue: list[str] = Field(default_factory=lambda: list(SOURCE_SYSTEMS))
    # Searches a program requires before a case may be "findings ready".
    required_searches: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "UK-VISA": ["IDENT-SIT", "TECS", "EAGLE"],
            "PCSC": ["IDENT-SIT", "INTERPOL-EASF2"],
            "M5": ["IDENT-SIT"],
            "KST": ["IDENT-SIT", "TECS"],
        }
    )
    protected_caveat: str = (
        "Special protected class: confidentiality provisions (8 U.S.C. 1367 and related) apply; do not share "
        "unless the agreement explicitly allows it."
    )
    # Retention (shared.retention): periods per record class, how often the scheduled run goes (0: never),
    # and whether a real run may be told another date (test stacks only; dry runs always may).
    retention_years: dict[str, int] = Field(default_factory=dict)
    retention_interval_seconds: float = Field(86400.0, ge=0)
    retention_allow_as_of: bool = False
