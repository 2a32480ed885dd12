"""Which crowd-html-elements.js a preview loads: the one the account's workers get.

Workers of a sandbox or production account get MTurk's own script from assets.crowd.aws. Workers
of a local account get the local MTurk's copy (its worker site swaps the address), which works
without the internet. So the dashboard's preview does the same swap for a local account, with
the copy the local MTurk serves at a stable address on its own origin, and the preview frame's
policy allows scripts from exactly that origin.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings

from apps.requesters.models import Environment, Requester

REMOTE_SCRIPT = "https://assets.crowd.aws/crowd-html-elements.js"
LOCAL_SCRIPT_PATH = "/assets/crowd-html-elements.js"
# How templates load the real script (MTurk's examples write it with https; some with http).
_REMOTE_SCRIPT_URL = re.compile(r"https?://assets\.crowd\.aws/crowd-html-elements\.js")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _local_mturk_origin(requester: Requester) -> str:
    """Where the person's browser reaches the account's local MTurk. The dashboard may call it
    by a name only its own containers know (http://emulator:8001 in docker-compose); then
    MTURK_LOCAL_PUBLIC_URL says the address browsers use for it."""
    endpoint = _origin(requester.effective_endpoint)
    public = settings.MTURK_LOCAL_PUBLIC_URL
    if public and endpoint == _origin(settings.MTURK_LOCAL_ENDPOINT):
        return _origin(public)
    return endpoint


def crowd_script_url(requester: Requester) -> str:
    """The address of the crowd script this account's workers run."""
    if requester.environment == Environment.LOCAL:
        return _local_mturk_origin(requester) + LOCAL_SCRIPT_PATH
    return REMOTE_SCRIPT


def crowd_script_origin(requester: Requester) -> str:
    """The one origin a preview of this account may load scripts from (its CSP script-src)."""
    return _origin(crowd_script_url(requester))


def crowd_script_use(html: str, requester: Requester) -> str:
    """The HTML with the real crowd script's address replaced by this account's own."""
    url = crowd_script_url(requester)
    if url == REMOTE_SCRIPT:
        return html
    return _REMOTE_SCRIPT_URL.sub(url, html)
