"""All of intake's SQL: the tables (`tables`) and one query module per use-case area."""

from services.intake.db.tables import metadata

__all__ = ["metadata"]
