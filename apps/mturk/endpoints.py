"""Where the dashboard may send an account's calls: MTurk's and SQS's own hosts, the local
MTurk and SQS, and the hosts the operator lists.

An account's endpoint and queue URL are typed by its admin, and every call to them carries the
account's signature (the access key id in clear). Left open, they would let an account admin
make the server post to any address it can reach (cloud metadata, Redis, an internal service)
or collect the key id of credentials they were never given. So:

- a sandbox or production account calls MTurk's own https endpoint for that environment, and
  reads SQS queues on AWS's own https hosts;
- a local account calls the local MTurk (`MTURK_LOCAL_ENDPOINT`) and reads the local SQS
  (`SQS_LOCAL_ENDPOINT`), or AWS's SQS;
- any account may also use an origin the operator lists in `MTURK_ENDPOINTS_ALLOWED` /
  `SQS_ENDPOINTS_ALLOWED` (glob patterns such as `http://127.0.0.1:*`; empty by default). The
  account admin chooses the environment, so these lists are hosts the operator trusts for any
  account, not a privilege of local ones.

The account form checks this on save; the gateway and the queue client check it again before
they build a client, so a row changed in the database or the admin cannot get past it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings

from apps.mturk.constants import ENVIRONMENT_ENDPOINTS, LOCAL, SQS_AWS_HOST
from apps.mturk.errors import MTurkRequestError

_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_SQS_AWS_HOST = re.compile(SQS_AWS_HOST)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class EndpointRefused(MTurkRequestError):
    """An account's endpoint or queue URL is not one the dashboard may call: nothing was sent."""


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a plain http(s) URL; None for anything else (a user part, a
    query, a fragment, odd characters), which no endpoint needs."""
    if not isinstance(url, str) or url != url.strip() or any(ord(c) < 33 for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or "@" in parts.netloc or parts.query or parts.fragment:
        return None
    host = parts.hostname or ""
    if not _HOST_NAME.fullmatch(host):
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    return parts.scheme, host, port or _DEFAULT_PORTS[parts.scheme]


def _glob(pattern: str) -> re.Pattern[str]:
    # Only `*` is special (any run of characters within the origin): brackets stay literal, as
    # IPv6 addresses need.
    pattern = pattern.strip().lower().rstrip("/")
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _listed(origin: tuple[str, str, int], patterns) -> bool:
    scheme, host, port = origin
    names = [f"{scheme}://{host}:{port}"]
    if port == _DEFAULT_PORTS[scheme]:
        names.append(f"{scheme}://{host}")
    return any(_glob(p).fullmatch(name) for p in patterns if p.strip() for name in names)


def _same_origin(origin: tuple[str, str, int], url: str) -> bool:
    return bool(url) and _origin(url) == origin


def mturk_endpoint_problem(url: str, environment: str) -> str:
    """Why an account of this environment may not call MTurk at `url` ("" when it may)."""
    origin = _origin(url)
    if origin is None:
        return "The endpoint must be a plain http(s) URL (no user, query or fragment)."
    if _listed(origin, settings.MTURK_ENDPOINTS_ALLOWED):
        return ""
    if environment == LOCAL:
        if _same_origin(origin, settings.MTURK_LOCAL_ENDPOINT):
            return ""
        return (
            "A local account calls only the local MTurk"
            f" ({settings.MTURK_LOCAL_ENDPOINT}, MTURK_LOCAL_ENDPOINT) or an endpoint listed in"
            " MTURK_ENDPOINTS_ALLOWED."
        )
    standard = ENVIRONMENT_ENDPOINTS.get(environment, "")
    if _same_origin(origin, standard) and urlsplit(url).path in ("", "/"):
        return ""
    return (
        f"A {environment} account calls only MTurk's own {environment} endpoint, {standard}"
        " (or an endpoint listed in MTURK_ENDPOINTS_ALLOWED)."
    )


def sqs_queue_url_problem(url: str, environment: str) -> str:
    """Why an account of this environment may not read the SQS queue at `url` ("" when it may)."""
    origin = _origin(url)
    if origin is None:
        return "The SQS queue URL must be a plain http(s) URL (no user, query or fragment)."
    scheme, host, port = origin
    if _listed(origin, settings.SQS_ENDPOINTS_ALLOWED):
        return ""
    if scheme == "https" and port == 443 and _SQS_AWS_HOST.fullmatch(host):
        return ""
    if environment == LOCAL:
        if _same_origin(origin, settings.SQS_LOCAL_ENDPOINT):
            return ""
        return (
            "A local account reads only the local SQS"
            f" ({settings.SQS_LOCAL_ENDPOINT}, SQS_LOCAL_ENDPOINT), a queue of AWS's SQS"
            " (https://sqs.<region>.amazonaws.com/...) or a host listed in SQS_ENDPOINTS_ALLOWED."
        )
    return (
        f"A {environment} account reads only queues of AWS's SQS"
        " (https://sqs.<region>.amazonaws.com/<account>/<queue>) or a host listed in"
        " SQS_ENDPOINTS_ALLOWED."
    )


def mturk_endpoint_check(url: str, environment: str) -> None:
    """Refuse (EndpointRefused) an MTurk endpoint this account may not call."""
    problem = mturk_endpoint_problem(url, environment)
    if problem:
        raise EndpointRefused(f"Not calling {url!r}: {problem}", code="EndpointRefused")


def sqs_queue_url_check(url: str, environment: str) -> None:
    """Refuse (EndpointRefused) an SQS queue this account may not read."""
    problem = sqs_queue_url_problem(url, environment)
    if problem:
        raise EndpointRefused(f"Not reading {url!r}: {problem}", code="EndpointRefused")
