"""All of disclosure's SQL: `tables` and one query module per use-case module (`db/<area>.py` serves `<area>.py`)."""

from services.disclosure.db.tables import metadata

__all__ = ["metadata"]
