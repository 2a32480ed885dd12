from django.core.management.base import BaseCommand, CommandError

from apps.requesters.models import Requester
from apps.sync.services import SyncBusy, requester_sync


class Command(BaseCommand):
    help = "Reconcile accounts with MTurk; prints what changed and the calls each operation used."

    def add_arguments(self, parser):
        parser.add_argument("--requester", help="account name (default: every account)")
        parser.add_argument(
            "--full", action="store_true", help="read every HIT's assignments, every score"
        )

    def handle(self, *args, requester: str | None, full: bool, **options):
        accounts = Requester.objects.all()
        if requester:
            accounts = accounts.filter(name=requester)
            if not accounts:
                raise CommandError(f"No account named {requester!r}.")
        failed = False
        for account in accounts:
            try:
                report = requester_sync(requester=account, full=full)
            except SyncBusy as exc:
                self.stdout.write(str(exc))
                continue
            run = report.run
            state = "ok" if run.ok else f"FAILED: {run.error}"
            self.stdout.write(f"{account.name}: {state} in {run.duration:.1f}s")
            changes = (
                ", ".join(f"{k} {v}" for k, v in sorted(run.changes.items()) if v)
                or "nothing changed"
            )
            self.stdout.write(f"  changes: {changes}")
            calls = ", ".join(f"{k} {v}" for k, v in sorted(run.calls.items()))
            self.stdout.write(f"  calls: {calls} (total {run.total_calls})")
            failed = failed or not run.ok
        if failed:
            raise CommandError("some accounts did not sync")
