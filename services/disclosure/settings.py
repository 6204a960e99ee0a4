"""Disclosure settings (`TRACS_DISCLOSURE_*` beats `TRACS_*`)."""

from pathlib import Path
from typing import ClassVar

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "disclosure"
    default_port: ClassVar[int] = 8103

    # Development: seed the sample agreements; recipients get certificates from this folder if set.
    seed_dev_agreements: bool = True
    pki_dir: Path | None = None
