"""Who calls and who works: the customer of an access key id (one requester account each,
created with the starting balance on first use) and the simulated workers."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from ..models import Customer, Worker


class _CustomerCache:
    """access key id -> Customer pk (and HIT type signature -> HITType); cleared on reset."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}
        self.hit_types: dict[tuple[int, str], Any] = {}

    def clear(self) -> None:
        with self.lock:
            self.ids.clear()
            self.hit_types.clear()


customer_cache = _CustomerCache()


def customer_for(access_key_id: str, now: datetime) -> Customer:
    """The customer for an access key id, created with the starting balance on first use."""
    pk = customer_cache.ids.get(access_key_id)
    if pk is not None:
        # Operations use the customer only as a key (balances are always re-read), so a
        # cached pk saves a query on every request.
        customer = Customer(pk=pk, access_key_id=access_key_id)
        customer._state.adding = False
        customer._state.db = "default"
        return customer
    customer = Customer.objects.filter(access_key_id=access_key_id).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    access_key_id=access_key_id,
                    balance=settings.EMULATOR_STARTING_BALANCE,
                    created_at=now,
                )
        except IntegrityError:
            customer = Customer.objects.get(access_key_id=access_key_id)
    with customer_cache.lock:
        customer_cache.ids[access_key_id] = customer.pk
    return customer


def worker_get_or_create(worker_id: str) -> Worker:
    worker, _ = Worker.objects.get_or_create(worker_id=worker_id)
    return worker
