"""SigV4 `Authorization` header: parsing always, verification in strict mode.

Strict mode is on when `EMULATOR_CREDENTIALS` lists access keys; then unknown keys get
`UnrecognizedClientException` and wrong secrets `InvalidSignatureException`, as AWS answers.
The payload hash in the canonical request is always the hash of the body received: an
`X-Amz-Content-Sha256` header is only compared with it, never trusted (else a signed request
could carry any body under the hash of the one it was signed with).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.http import HttpRequest

from .errors import AuthError

ALGORITHM = "AWS4-HMAC-SHA256"
_PART = re.compile(r"(\w+)=([^,\s]*)")
MAX_SKEW_SECONDS = 15 * 60


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(query, keep_blank_values=True)
    )
    return "&".join(f"{k}={v}" for k, v in pairs)


def _header(request: HttpRequest, name: str) -> str:
    value = request.headers.get(name, "")
    return " ".join(value.strip().split())


def _expected_signature(
    request: HttpRequest, payload_hash: str, secret: str, scope: list[str], signed: list[str]
) -> str:
    date, region, service, _ = scope
    canonical_headers = "".join(f"{name}:{_header(request, name)}\n" for name in signed)
    canonical_request = "\n".join(
        [
            request.method or "POST",
            quote(request.path or "/", safe="/-_.~"),
            _canonical_query(request.META.get("QUERY_STRING", "")),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            request.headers.get("X-Amz-Date", ""),
            "/".join(scope),
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = _sign(("AWS4" + secret).encode("utf-8"), date)
    key = _sign(key, region)
    key = _sign(key, service)
    key = _sign(key, "aws4_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison; header values may hold any character, so compare bytes."""
    return hmac.compare_digest(expected.encode(), given.encode())


def authenticate(request: HttpRequest, body: bytes) -> str:
    """Return the request's access key id (the customer), or raise AuthError."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise AuthError(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token: requests must be signed with AWS Signature Version 4.",
        )
    algorithm, _, rest = header.partition(" ")
    parts = dict(_PART.findall(rest))
    credential = parts.get("Credential", "").split("/")
    if (
        algorithm != ALGORITHM
        or len(credential) != 5
        or "SignedHeaders" not in parts
        or "Signature" not in parts
    ):
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders "
            "and Signature.",
        )
    access_key_id, scope = credential[0], credential[1:]
    if not access_key_id:
        raise AuthError("UnrecognizedClientException", "The access key id is empty.")
    credentials: dict[str, str] = settings.EMULATOR_CREDENTIALS
    if not credentials:
        return access_key_id
    secret = credentials.get(access_key_id)
    if secret is None:
        raise AuthError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    signed = parts["SignedHeaders"].split(";")
    if "host" not in signed:
        raise AuthError("InvalidSignatureException", "The host header must be signed.")
    amz_date = request.headers.get("X-Amz-Date", "")
    try:
        moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthError(
            "IncompleteSignatureException", "X-Amz-Date is missing or malformed."
        ) from None
    if abs((datetime.now(UTC) - moment).total_seconds()) > MAX_SKEW_SECONDS:
        raise AuthError("InvalidSignatureException", "Signature expired: X-Amz-Date is too old.")
    payload_hash = hashlib.sha256(body).hexdigest()
    claimed = request.headers.get("X-Amz-Content-Sha256")
    if claimed is not None and not _same(claimed.strip().lower(), payload_hash):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided: "
            "X-Amz-Content-Sha256 is not the SHA-256 of the request body.",
        )
    expected = _expected_signature(request, payload_hash, secret, scope, signed)
    if not _same(expected, parts["Signature"]):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return access_key_id
