"""A request body larger than any upload the product takes is refused before it is read.

Each upload form has its own, smaller limit, checked with a message that names it; this one only
keeps a request of hundreds of megabytes from being streamed to a temporary file first. Behind a
proxy, its own body-size limit (nginx `client_max_body_size`) should be set to the same value.
A body sent without a Content-Length (chunked) still meets the forms' own limits, and Django
streams files past FILE_UPLOAD_MAX_MEMORY_SIZE to disk, so memory stays bounded either way.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def upload_size_limit(get_response):
    def middleware(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_BYTES
        if length > limit:
            return render(
                request,
                "upload_too_large.html",
                {"size_mb": length / 1_048_576, "limit_mb": limit / 1_048_576},
                status=413,
            )
        return get_response(request)

    return middleware
