"""Run by test_hostile_uploads in a process of its own: one multipart POST, streamed from a file
on disk through Django's WSGI handler (as gunicorn would hand it over), and the peak memory the
process reached while handling it.

    python -m tests.security.upload_probe BODY_FILE BOUNDARY PATH SESSION_KEY

Prints one JSON line: status, location, the messages the answer (or the page it leads to)
shows, and the growth of the peak RSS in MB.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys


def main(body_path: str, boundary: str, path: str, session_key: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    csrf = "k" * 32
    environ_base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session_key}; csrftoken={csrf}",
    }
    answers = []

    def start_response(status, headers, exc_info=None):
        answers.append((status, headers))

    # Warm up (imports, templates, the database) so that the baseline is the settled process.
    with open(os.devnull, "rb") as empty:
        b"".join(handler({**environ_base, "wsgi.input": empty}, start_response))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(body_path, "rb") as body:
        environ = {
            **environ_base,
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
            "CONTENT_LENGTH": str(os.path.getsize(body_path)),
            "HTTP_X_CSRFTOKEN": csrf,
            "wsgi.input": body,
        }
        answer_body = list(handler(environ, start_response))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status, headers = answers[-1]
    location = dict(headers).get("Location", "")
    # Follow the redirect with the cookies it set, to read the message the page shows.
    cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    page = b"".join(answer_body)
    if location:
        with open(os.devnull, "rb") as empty:
            page = b"".join(
                handler(
                    {
                        **environ_base,
                        "PATH_INFO": location,
                        "HTTP_COOKIE": "; ".join([environ_base["HTTP_COOKIE"], *cookies]),
                        "wsgi.input": empty,
                    },
                    start_response,
                )
            )
    shown = re.findall(r'<p class="message [^"]*"[^>]*>([^<]*)</p>', page.decode(errors="replace"))
    print(
        json.dumps(
            {
                "status": int(status.split()[0]),
                "location": location,
                "messages": shown,
                "growth_mb": (peak - baseline) / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
