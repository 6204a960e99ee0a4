"""Disclosure settings (`TRACS_DISCLOSURE_*` beats `TRACS_*`)."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from shared.settings import RetentionSettings


class Settings(RetentionSettings):
    service_name: ClassVar[str] = "disclosure"
    default_port: ClassVar[int] = 8103

    # Development: seed the sample agreements; recipients get certificates from this folder if set.
    seed_dev_agreements: bool = True
    pki_dir: Path | None = None

    # Cases' internal API: a response's values are fetched from there when it is drafted and again when sent.
    cases_url: str = "http://127.0.0.1:8102"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    office_email: str = "tracs-office@obim.dhs.example"
    # The office's S/MIME signing certificate and key (PEM); default: office.crt / office.key in pki_dir.
    office_certificate: Path | None = None
    office_key: Path | None = None

    # A pending disclosure the relay could not take at start is tried again this often (seconds).
    resolve_pending_interval: float = Field(30.0, gt=0)
    # Fault injection for the crash test: the service exits (137) just before / just after the SMTP hand-off.
    fault_crash_before_deliver: bool = False
    fault_crash_after_deliver: bool = False

    def faults(self) -> frozenset[str]:
        points = {"before-deliver": self.fault_crash_before_deliver, "after-deliver": self.fault_crash_after_deliver}
        return frozenset(point for point, on in points.items() if on)

    def office_files(self) -> tuple[Path | None, Path | None]:
        base = self.pki_dir
        cert = self.office_certificate or (base / "office.crt" if base else None)
        key = self.office_key or (base / "office.key" if base else None)
        return cert, key
