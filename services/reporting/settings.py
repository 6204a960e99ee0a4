"""Reporting settings (`TRACS_REPORTING_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field, model_validator

from shared.settings import RetentionSettings

DEV_DIGEST_KEY = "dev-reporting-digest-key-change-me"


class Settings(RetentionSettings):
    service_name: ClassVar[str] = "reporting"
    default_port: ClassVar[int] = 8105

    # Every report shows counts from 1 to this less one as suppressed, with complementary suppression so that
    # none can be derived from what reports show (services/reporting/suppression.py).
    suppression_threshold: int = Field(5, ge=1)
    # How often the stored-report schedule looks for a finished week or month to store (0: never).
    report_store_interval_seconds: float = Field(3600.0, ge=0)
    # Keys the digest that counts distinct subjects; rotate it and old digests stop linking.
    subject_digest_key: str = DEV_DIGEST_KEY

    @model_validator(mode="after")
    def _refuse_dev_key(self) -> "Settings":
        if self.environment == "production" and self.subject_digest_key == DEV_DIGEST_KEY:
            raise ValueError("TRACS_REPORTING_SUBJECT_DIGEST_KEY must be set outside development")
        return self
