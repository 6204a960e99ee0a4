"""All of cases' SQL: `tables` and one query module per area, named like the use-case module it serves."""

from services.cases.db.tables import metadata

__all__ = ["metadata"]
