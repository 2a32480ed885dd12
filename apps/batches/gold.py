"""A project's gold configuration: which batch CSV columns hold the right answer to which answer
field (`Project.gold_fields`, {answer field: CSV column}).

This is the part a project and its batches need (the project form reads and prints it, the batch
page says which gold columns its CSV lacks). Scoring the workers' answers against those columns
is review's (`apps.review.quality.gold`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from apps.batches.models import Batch

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")


def gold_fields_clean(value: dict) -> dict[str, str]:
    """Check {answer field: CSV column}: both plain names, each column used once."""
    if not isinstance(value, dict):
        raise ValidationError("Gold fields map answer fields to CSV columns.")
    clean: dict[str, str] = {}
    for field, column in value.items():
        field, column = str(field).strip(), str(column).strip()
        for name in (field, column):
            if not _IDENTIFIER.match(name):
                raise ValidationError(
                    f"{name!r} is not a plain name: letters, digits, _ . - only, starting with a "
                    "letter or _."
                )
        if column in clean.values():
            raise ValidationError(f"The column {column!r} is named for two answer fields.")
        clean[field] = column
    return clean


def gold_fields_parse(text: str) -> dict[str, str]:
    """The project form's text: one `answer_field = csv_column` per line."""
    mapping: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if "=" not in line:
            raise ValidationError(f"Line {number}: write answer_field = csv_column.")
        field, column = (part.strip() for part in line.split("=", 1))
        if field in mapping:
            raise ValidationError(f"Line {number}: {field!r} is named twice.")
        mapping[field] = column
    return gold_fields_clean(mapping)


def gold_fields_text(mapping: dict) -> str:
    return "\n".join(f"{field} = {column}" for field, column in (mapping or {}).items())


def gold_columns_missing(batch: Batch) -> list[str]:
    """Gold columns the project names that the batch's CSV does not have."""
    gold = batch.project.gold_fields or {}
    if not gold or not batch.columns:
        return []
    return sorted(set(gold.values()) - set(batch.columns))
