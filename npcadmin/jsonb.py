"""What PostgreSQL's jsonb cannot hold, refused by every JSON box of a form before it reaches SQL.

JSON text may spell a NUL character (`"\\u0000"`) or half of a surrogate pair (`"\\ud800"`);
`json.loads` accepts both, jsonb refuses the first (DataError) and psycopg cannot even encode
the second (UnicodeEncodeError): a 500 instead of the field's error, before this validator.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "half of a surrogate pair (e.g. \\ud800)"
    return None


def jsonb_problem(value) -> str | None:
    """Why `value` cannot be stored as jsonb, or None (walks keys and values)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = _bad_text(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def validate_jsonb_storable(value) -> None:
    problem = jsonb_problem(value)
    if problem:
        raise ValidationError(f"The JSON contains {problem}, which the database cannot store.",
                              code="jsonb_unstorable")


class StorableJSONField(forms.JSONField):
    """A form's JSON box that refuses, as a field error, what jsonb cannot store."""

    default_validators = [validate_jsonb_storable]

    def prepare_value(self, value):
        # Shown again with its error: keep the escapes (a lone surrogate cannot be sent as UTF-8).
        if not isinstance(value, forms.fields.InvalidJSONInput) and jsonb_problem(value):
            return json.dumps(value, cls=self.encoder)
        return super().prepare_value(value)


def json_text(value) -> str | None:
    """The one JSON pretty-printer: a JSON value, or a string holding JSON (an LLM response),
    indented; None for a string that is not JSON (show it as it is)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] not in ("{", "["):
            return None
        try:
            value = json.loads(stripped)
        except ValueError:
            return None
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
