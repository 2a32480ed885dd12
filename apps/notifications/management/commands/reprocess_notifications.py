from django.core.management.base import BaseCommand

from apps.notifications.services import events_reprocess


class Command(BaseCommand):
    help = "Process stored notification events again: the failed ones, or the given ids."

    def add_arguments(self, parser):
        parser.add_argument(
            "--failed", action="store_true", help="only events whose last attempt failed"
        )
        parser.add_argument("--ids", nargs="+", type=int, help="event ids")

    def handle(self, *args, failed: bool, ids, **options):
        processed, failures = events_reprocess(failed_only=failed, ids=ids)
        self.stdout.write(f"{processed} events processed, {failures} failed")
