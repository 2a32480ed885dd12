"""The context every operation is called with (`fn(ctx, params)`), built by `endpoint`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Customer


@dataclass
class Context:
    """What an operation gets besides its parameters."""

    customer: Customer
    now: datetime
    request_id: str
    operation: str
