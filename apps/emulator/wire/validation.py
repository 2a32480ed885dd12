"""Input validation against botocore's MTurk service model (required members, types, enums,
lengths, ranges, patterns), so the server refuses what a client with `parameter_validation=False`
sends. The written constraints of the API Reference are checked by the operations
(`apps.emulator.operations.constraints` and its neighbours).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape

from . import errors


@cache
def service_model():
    return botocore.session.get_session().get_service_model("mturk")


@cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)


@cache
def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


def warm_up() -> None:
    """Load botocore's model and every operation's input shape once, before serving: the caches
    above are not locked, so sixteen threads starting at once would each load it."""
    for name in operation_names():
        operation_model(name).input_shape  # noqa: B018 - resolving the shape fills the cache


@cache
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def validate_input(operation: str, params: Any) -> dict:
    """Check `params` against the operation's input shape; raise a RequestError naming the
    parameter. Timestamps are returned converted to aware datetimes."""
    shape = operation_model(operation).input_shape
    if shape is None:
        if params:
            raise errors.invalid("request", f"{operation} takes no parameters")
        return {}
    return _check(shape, params, "")


def _name(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(shape: Shape, value: Any, path: str) -> Any:
    kind = shape.type_name
    label = path or "request"
    if kind == "structure":
        if not isinstance(value, dict):
            raise errors.invalid(label, "must be a JSON object")
        for key in value:
            if key not in shape.members:
                raise errors.invalid(_name(path, key), f"{key} is not a parameter of {label}")
        for key in shape.required_members:
            if value.get(key) is None:
                raise errors.missing(_name(path, key))
        return {
            key: _check(shape.members[key], item, _name(path, key))
            for key, item in value.items()
            if item is not None
        }
    if kind == "list":
        if not isinstance(value, list):
            raise errors.invalid(label, "must be a list")
        _bounds(shape, len(value), label, "number of items")
        return [_check(shape.member, item, f"{label}[{i}]") for i, item in enumerate(value)]
    if kind == "string":
        if not isinstance(value, str):
            raise errors.invalid(label, "must be a string")
        _bounds(shape, len(value), label, "length")
        if "enum" in shape.metadata and value not in shape.metadata["enum"]:
            allowed = ", ".join(shape.metadata["enum"])
            raise errors.invalid(label, f"{value!r} is not one of: {allowed}")
        pattern = shape.metadata.get("pattern")
        if pattern and not _pattern(pattern).fullmatch(value):
            raise errors.invalid(label, f"{value!r} does not match the pattern {pattern}")
        return value
    if kind in {"integer", "long"}:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise errors.invalid(label, "must be an integer")
        _bounds(shape, value, label, "value")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise errors.invalid(label, "must be true or false")
        return value
    if kind in {"float", "double"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise errors.invalid(label, "must be a number")
        return value
    if kind == "timestamp":
        return parse_timestamp(value, label)
    raise errors.invalid(label, f"has an unsupported type {kind}")


def _bounds(shape: Shape, measure: int, label: str, what: str) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and measure < low:
        raise errors.out_of_range(label, f"{what} must be at least {low}")
    if high is not None and measure > high:
        raise errors.out_of_range(label, f"{what} must be at most {high}")


def parse_timestamp(value: Any, label: str) -> datetime:
    """Epoch seconds (what botocore sends) or ISO 8601."""
    if isinstance(value, bool):
        raise errors.invalid(label, "must be a timestamp")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise errors.out_of_range(label, "is not a representable time") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise errors.invalid(label, "must be epoch seconds or ISO 8601") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise errors.invalid(label, "must be a timestamp")
