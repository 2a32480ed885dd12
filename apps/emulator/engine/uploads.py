"""Uploaded files (QuestionForm FileUploadAnswer) and the short-lived URLs GetFileUploadURL gives.

A URL is `<origin>/mturk/uploads/<token>`, the token a signed (key, emulator time) pair: it works
for `URL_SECONDS` of emulator time, so moving the clock expires it like waiting would.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing

from ..models import UploadedFile

URL_SECONDS = 60
SALT = "emulator.file-upload-url"


def download_token(upload: UploadedFile, *, now: datetime) -> str:
    return signing.dumps({"k": upload.key, "t": now.timestamp()}, salt=SALT)


def file_for_token(token: str, *, now: datetime) -> UploadedFile | None:
    """The file a token names, while it is younger than URL_SECONDS; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not 0 <= now.timestamp() - data["t"] <= URL_SECONDS:
        return None
    return UploadedFile.objects.filter(key=data["k"]).first()


def public_url() -> str:
    """Where this emulator answers (set by `manage.py emulator` from --host/--port, or
    `EMULATOR_PUBLIC_URL`)."""
    return (getattr(settings, "EMULATOR_PUBLIC_URL", "") or "http://127.0.0.1:8001").rstrip("/")
