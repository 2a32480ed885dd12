"""`python manage.py emulator --port 8001 [--database PATH_OR_URL]`: the local MTurk.

Migrates its own database, creates the system qualification types and the control token file
(unless `EMULATOR_CONTROL_TOKEN` is set), starts a background ticker for time-driven
transitions, and serves with waitress (multi-threaded), never runserver.
"""

from __future__ import annotations

import logging
import os
import threading

from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger("apps.emulator")

# Binding every interface names no host a request would use.
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - compared with, never bound


class Command(BaseCommand):
    help = "Run the local MTurk (MTurk Requester API 2017-01-17) on its own database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--database",
            help="SQLite file path or database URL (default: EMULATOR_DATABASE_URL or "
            "var/emulator.sqlite3)",
        )
        parser.add_argument("--threads", type=int, default=16)
        parser.add_argument(
            "--ensure-sqs-queue",
            default=os.environ.get("EMULATOR_ENSURE_SQS_QUEUE", ""),
            metavar="QUEUE_URL",
            help="create this SQS queue (on a local moto server) as soon as it answers, and "
            "again whenever it disappears (`make run` passes its notification queue)",
        )

    def execute(self, *args, **options):
        # The settings module reads the database at import; point it there before Django
        # configures the connection.
        if options.get("database"):
            self._switch_database(options["database"])
        return super().execute(*args, **options)

    def _switch_database(self, value: str) -> None:
        from django.conf import settings
        from django.db import connections

        from apps.emulator.settings import database_from

        os.environ["EMULATOR_DATABASE_URL"] = value
        try:
            config = database_from(value)
        except Exception as exc:
            raise CommandError(str(exc)) from exc
        if "default" in connections.__dict__.get("settings", {}) and hasattr(
            connections._connections, "default"
        ):
            connections["default"].close()
            del connections["default"]
        settings.DATABASES["default"] = config
        # Drop the cached DATABASES so the next connection reads the new one.
        connections.__dict__.pop("settings", None)
        connections._settings = None

    def handle(self, *args, **options) -> None:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from waitress import serve

        from apps.emulator.control.guard import control_token_ensure
        from apps.emulator.engine import clock, lifecycle
        from apps.emulator.engine.qualifications import system_types_ensure
        from apps.emulator.wire import validation

        if options["threads"] < 8:
            raise CommandError("--threads must be at least 8")
        call_command("migrate", interactive=False, verbosity=0)
        validation.warm_up()
        system_types_ensure(clock.now())
        lifecycle.run_due(clock.now())
        if settings.EMULATOR_TICK_SECONDS > 0:
            threading.Thread(
                target=_tick, args=(settings.EMULATOR_TICK_SECONDS,), daemon=True
            ).start()
        try:
            token_source = control_token_ensure()
        except (OSError, ValueError) as exc:
            raise CommandError(f"no control token: {exc}") from exc
        if not settings.EMULATOR_PUBLIC_URL:
            settings.EMULATOR_PUBLIC_URL = f"http://{options['host']}:{options['port']}"
        if options["host"] not in ANY_ADDRESS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, options["host"]]
        if settings.EMULATOR_DELIVERY_SECONDS > 0:
            from apps.emulator.delivery.outbox import sender_loop

            threading.Thread(
                target=sender_loop, args=(settings.EMULATOR_DELIVERY_SECONDS,), daemon=True
            ).start()
        if options["ensure_sqs_queue"]:
            from apps.emulator.delivery.transports import queue_keeper_loop

            threading.Thread(
                target=queue_keeper_loop, args=(options["ensure_sqs_queue"],), daemon=True
            ).start()
        if settings.EMULATOR_CROWD:
            from apps.emulator.workers.crowd import background_crowd_loop

            threading.Thread(
                target=background_crowd_loop,
                args=(settings.EMULATOR_CROWD_WORKERS, settings.EMULATOR_CROWD_INTERVAL),
                daemon=True,
            ).start()
        from django.core.wsgi import get_wsgi_application

        database = settings.DATABASES["default"]
        self.stdout.write(
            f"Local MTurk on http://{options['host']}:{options['port']}/ "
            f"({connection.vendor} {database['NAME']}; "
            f"{'strict' if settings.EMULATOR_CREDENTIALS else 'open'} credentials; "
            f"control token from {token_source})"
        )
        self.stdout.flush()
        serve(
            get_wsgi_application(),
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            connection_limit=200,
            channel_timeout=120,
            ident="local-mturk",
            _quiet=True,
        )


def _tick(interval: float) -> None:
    """Run due transitions as real time passes, even without requests."""
    import time

    from django.db import close_old_connections

    from apps.emulator.engine import clock, lifecycle

    last_purge = 0.0
    while True:
        time.sleep(interval)
        try:
            now = clock.now()
            lifecycle.run_due_if_needed(now)
            if time.monotonic() - last_purge > 60:
                lifecycle.tokens_purge(now)
                last_purge = time.monotonic()
        except Exception:
            logger.exception("the emulator ticker failed; it will try again")
        finally:
            close_old_connections()
