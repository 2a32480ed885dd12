"""The MTurk gateway: the only code in the dashboard that talks to MTurk (and imports boto3).

One `Gateway` per requester account. Every HTTP attempt, retries included, first takes a slot
from the account's shared rate limiter; botocore's standard retry mode retries throttling and
faults; whatever still fails comes out as a typed `MTurkError`. Results are plain dicts without
botocore's ResponseMetadata. Each outcome updates the account's health record (health.py), from
which the pages say when MTurk is not answering.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from apps.mturk.constants import LIST_RESULT_KEYS, LOCAL, REGION
from apps.mturk.endpoints import mturk_endpoint_check
from apps.mturk.errors import MTurkError, from_botocore_error, from_client_error
from apps.mturk.health import health_failure, health_success, is_outage
from apps.mturk.ratelimit import RateLimiter, default_limiter


@dataclass(frozen=True)
class AccountConfig:
    """What the gateway needs to know of one requester account."""

    key: str
    endpoint_url: str
    access_key_id: str = ""
    secret_access_key: str = ""
    profile: str = ""
    requests_per_second: float = 5.0
    region: str = REGION
    # Which endpoints the account may call (endpoints.py): local, sandbox or production.
    environment: str = LOCAL

    def __repr__(self) -> str:  # never show the secret
        return f"AccountConfig(key={self.key!r}, endpoint_url={self.endpoint_url!r})"

    @property
    def fingerprint(self) -> str:
        raw = "|".join(
            [
                self.key,
                self.endpoint_url,
                self.access_key_id,
                self.secret_access_key,
                self.profile,
                self.region,
                self.environment,
                str(self.requests_per_second),
            ]
        )
        return hashlib.sha256(raw.encode()).hexdigest()


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _build_client(config: AccountConfig, limiter: RateLimiter | None):
    mturk_endpoint_check(config.endpoint_url, config.environment)
    if config.profile:
        session = boto3.session.Session(profile_name=config.profile, region_name=config.region)
    else:
        session = boto3.session.Session(
            aws_access_key_id=config.access_key_id or None,
            aws_secret_access_key=config.secret_access_key or None,
            region_name=config.region,
        )
    client = session.client(
        "mturk",
        endpoint_url=config.endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": settings.MTURK_MAX_ATTEMPTS},
            connect_timeout=settings.MTURK_CONNECT_TIMEOUT,
            read_timeout=settings.MTURK_READ_TIMEOUT,
            max_pool_connections=20,
        ),
    )

    def take_slot(**kwargs) -> None:
        # Per HTTP attempt, so that botocore's own retries are paced too.
        (limiter or default_limiter()).acquire(config.key, config.requests_per_second)

    client.meta.events.register("before-send.mturk.*", take_slot)
    return client


def _cached_client(config: AccountConfig):
    """boto3 clients are thread-safe and costly to build: keep one per account settings."""
    with _clients_lock:
        client = _clients.get(config.fingerprint)
        if client is None:
            client = _clients[config.fingerprint] = _build_client(config, None)
        return client


class Gateway:
    def __init__(self, config: AccountConfig, *, limiter: RateLimiter | None = None) -> None:
        # Before any client exists (and before a cached one is reused): a refused endpoint is
        # never connected to. Raises EndpointRefused, an MTurkError.
        mturk_endpoint_check(config.endpoint_url, config.environment)
        self.config = config
        self.client = _build_client(config, limiter) if limiter else _cached_client(config)
        # Calls made through this gateway, by MTurk operation name (retries not counted twice).
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    def call(self, operation: str, **params: Any) -> dict:
        """Call one operation by its boto3 name (`create_hit_with_hit_type`)."""
        mturk_endpoint_check(self.config.endpoint_url, self.config.environment)
        method = getattr(self.client, operation)
        api_name = self.client.meta.method_to_api_mapping.get(operation, operation)
        with self._calls_lock:
            self.calls[api_name] += 1
        try:
            try:
                response = method(**params)
            except ClientError as exc:
                raise from_client_error(exc, operation) from exc
            except BotoCoreError as exc:
                raise from_botocore_error(exc, operation) from exc
        except MTurkError as exc:
            if is_outage(exc):
                # Still failing after botocore's retries: the pages say MTurk is unwell.
                health_failure(self.config.key, exc)
            elif isinstance(exc.__cause__, ClientError):
                # MTurk answered (it refused the request): it is up.
                health_success(self.config.key)
            raise
        health_success(self.config.key)
        response.pop("ResponseMetadata", None)
        return response

    def pages(self, operation: str, **params: Any) -> Iterator[dict]:
        """Every page of a List operation, 100 items a page, following NextToken."""
        if operation not in LIST_RESULT_KEYS:
            raise ValueError(f"{operation} is not a paginated List operation")
        params.setdefault("MaxResults", 100)
        while True:
            page = self.call(operation, **params)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            params["NextToken"] = token

    def paginate(self, operation: str, **params: Any) -> Iterator[dict]:
        """Every item of a List operation across all its pages."""
        key = LIST_RESULT_KEYS.get(operation)
        for page in self.pages(operation, **params):
            yield from page.get(key, [])

    def account_balance(self) -> Decimal:
        return Decimal(self.call("get_account_balance")["AvailableBalance"])
