"""The local MTurk's crowd-html-elements.js: the modules of `static/emulator/crowd/`, served as
the one script templates load (MTurk's own is one file too).

Modules are joined in the order of their names, which start with a number: `00-core.js` (the
tools every module uses, and crowd-form), then the families of elements, then `99-finish.js`,
which flags any crowd-* element still undefined.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

CROWD_DIR = Path(__file__).resolve().parents[2] / "static" / "emulator" / "crowd"


def crowd_modules() -> list[str]:
    return sorted(path.name for path in CROWD_DIR.glob("[0-9][0-9]-*.js"))


@lru_cache(maxsize=4)
def _bundle(stamps: tuple[tuple[str, int], ...]) -> tuple[bytes, str]:
    parts = [
        f"/* crowd/{name} */\n".encode() + (CROWD_DIR / name).read_bytes() for name, _ in stamps
    ]
    body = b"\n".join(parts)
    return body, '"' + sha256(body).hexdigest()[:32] + '"'


def crowd_script_bundle() -> tuple[bytes, str]:
    """The script and its ETag (read again when a module changes on disk)."""
    return _bundle(tuple((name, (CROWD_DIR / name).stat().st_mtime_ns) for name in crowd_modules()))


@require_GET
def crowd_script(request: HttpRequest) -> HttpResponse:
    body, etag = crowd_script_bundle()
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response
