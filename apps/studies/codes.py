"""Completion codes: how they are written, made and judged.

A code is compared normalised: upper-case, without spaces or dashes (a worker who copies
"k7q2-mx94 " means K7Q2MX94). The HMAC mode's code of a worker is the first 10 hexadecimal
digits, upper-case, of HMAC-SHA256(secret, worker id): the survey computes it (docs/studies.md
has the Qualtrics snippet), and the local MTurk's test surveys compute the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

MAX_CODE = 64
_DROPPED = re.compile(r"[\s\-\u2010-\u2015]+")


def code_normalise(given: object) -> str:
    """The code as compared: NFKC, upper-case, no spaces or dashes, at most 64 characters."""
    text = unicodedata.normalize("NFKC", str(given or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return _DROPPED.sub("", text).upper()[:MAX_CODE]


def hmac_code(secret: str, worker_id: str) -> str:
    return hmac.new(secret.encode(), worker_id.encode(), hashlib.sha256).hexdigest()[:10].upper()


def codes_parse(text: str, *, limit: int = 100_000) -> list[str]:
    """The codes of an uploaded list: one per line (a CSV's first column), normalised,
    deduplicated in order. Raises ValueError with the reason for an empty or oversized list."""
    codes: dict[str, None] = {}
    for line in text.splitlines():
        cell = line.split(",", 1)[0].strip().strip('"')
        code = code_normalise(cell)
        if code and code not in ("CODE", "CODES", "COMPLETIONCODE"):
            codes.setdefault(code, None)
        if len(codes) > limit:
            raise ValueError(f"The list has more than {limit:,} codes.")
    if not codes:
        raise ValueError("The list has no code: one code per line.")
    return list(codes)
