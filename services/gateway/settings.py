"""Gateway settings (`TRACS_GATEWAY_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings

# First path segment after /api/v1 -> the name of the service that owns it.
AREAS = {
    "intake": "intake",
    "cases": "cases",
    "encounters": "cases",
    "subjects": "cases",
    "holds": "cases",
    "retention": "cases",
    "disclosures": "disclosure",
    "agreements": "disclosure",
    "recipients": "disclosure",
    "redress": "redress",
    "reports": "reporting",
    "bulletins": "reporting",
}
# The API paths the gateway answers itself (Caddy path patterns). The edge sends these to the gateway, every area
# above straight to its owner, and answers any other /api path 404; tests/integration/test_edge.py holds the
# gateway's routes to this list.
GATEWAY_API_PATHS = (
    "/api/v1/auth/*",
    "/api/v1/users",
    "/api/v1/users/*",
    "/api/v1/audit",
    "/api/v1/audit/*",
    "/api/v1/notifications",
    "/api/v1/notifications/*",
    "/api/v1/subjects/*/export",
)


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"
    # Behind the edge (tracs/edge.py), which keeps :8000 as the one public address.
    default_port: ClassVar[int] = 8100

    intake_url: str = "http://127.0.0.1:8101"
    cases_url: str = "http://127.0.0.1:8102"
    disclosure_url: str = "http://127.0.0.1:8103"
    redress_url: str = "http://127.0.0.1:8104"
    reporting_url: str = "http://127.0.0.1:8105"
    proxy_timeout_seconds: float = Field(120.0, gt=0)
    # Per service: connections the gateway may open at once, and how many it keeps open between requests.
    upstream_max_connections: int = Field(64, ge=1)
    upstream_keepalive_connections: int = Field(32, ge=1)
    # Keep at or above intake's TRACS_INTAKE_MAX_UPLOAD_BYTES; intake applies its own limit exactly.
    max_body_bytes: int = Field(50 * 1024 * 1024 + 64 * 1024, ge=1024)

    seed_dev_users: bool = True
    dev_password: str = Field("tracs-dev", validation_alias="TRACS_DEV_PASSWORD")
    lockout_threshold: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    # PIA 8.2: annual refresher training keeps access; sign-in and refresh are refused from the day it lapses.
    training_valid_days: int = Field(365, ge=1)
    # How often every login's active state (training, clearance) is announced to cases' staff projection.
    staff_announce_interval_seconds: float = Field(6 * 3600.0, gt=0)
    training_warning_days: int = Field(30, ge=0)  # the console warns this long before, and admins list them
    # Notifications mailed to staff who asked for mail, through the relay disclosure uses (plain text: ids and a
    # label, no personal data). The console's address makes the link in the mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(8025, ge=1, le=65535)
    notify_from: str = "tracs-notifications@tracs.invalid"
    console_url: str = "http://127.0.0.1:8000"
    notify_mail_interval_seconds: float = Field(10.0, gt=0)

    def services(self) -> dict[str, str]:
        """Each service behind the gateway -> its base URL (the merged audit trail asks every one)."""
        return {
            "intake": self.intake_url,
            "cases": self.cases_url,
            "disclosure": self.disclosure_url,
            "redress": self.redress_url,
            "reporting": self.reporting_url,
        }

    def routes(self) -> dict[str, str]:
        """First path segment after /api/v1 -> the service that owns it."""
        services = self.services()
        return {area: services[owner] for area, owner in AREAS.items()}
