"""All SQL of the gateway: `tables` and one query module per use-case module (`db/sign_in.py` serves `sign_in.py`)."""

from services.gateway.db.tables import metadata

__all__ = ["metadata"]
