"""Small helpers that turn the seed's column conventions into Django fields and constraints."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now


def check_in(table: str, column: str, choices: type[models.TextChoices], what: str = "") -> models.CheckConstraint:
    """The seed's inline `CHECK (column IN (...))`, named as PostgreSQL names it (`<table>_<column>_check`)."""
    allowed = ", ".join(choices.values)
    return models.CheckConstraint(
        condition=models.Q(**{f"{column}__in": choices.values}),
        name=f"{table}_{column}_check",
        violation_error_message=f"{what or column.replace('_', ' ').capitalize()} must be one of: {allowed}.",
    )


def check_range(table: str, column: str, low, high, what: str = "") -> models.CheckConstraint:
    """The seed's inline `CHECK (column BETWEEN low AND high)`."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{column}__range": (low, high)}),
        name=f"{table}_{column}_check",
        violation_error_message=range_message(low, high, what or column.replace("_", " ").capitalize()),
    )


def bounded(low, high, what: str) -> list:
    """Field validators mirroring a range CHECK, so a form shows the error next to the field."""
    message = range_message(low, high, what)
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def range_message(low, high, what: str) -> str:
    return f"{what} must be between {low} and {high}."


def created_at() -> models.DateTimeField:
    """`created_at TIMESTAMP DEFAULT NOW()` (as timestamptz, see docs/schema.md)."""
    return models.DateTimeField(db_default=Now(), editable=False)


def int_default(value: int = 0, **kwargs) -> models.IntegerField:
    """`INTEGER DEFAULT n`: the same default for the engine's SQL and for Django forms."""
    return models.IntegerField(default=value, db_default=value, **kwargs)
