"""Make a fresh install usable: an admin user and a "Local MTurk" account pointing at the local MTurk."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.requesters.models import CredentialSource, Environment, Membership, Requester
from apps.requesters.roles import Role

LOCAL_ACCOUNT = "Local MTurk"
# The local MTurk accepts any key pair unless started in strict mode; this one is its customer.
LOCAL_ACCESS_KEY = "AKIALOCALMTURKDASH01"
LOCAL_SECRET_KEY = "local-mturk-secret-key-not-a-real-credential"


class Command(BaseCommand):
    help = "Create the admin user (if no user exists) and the Local MTurk account (if missing)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--sqs-queue-url", default="", help="Notification queue of the local account."
        )

    def handle(self, *args, username: str, sqs_queue_url: str, **options):
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:
            password = os.environ.get("MTURKDASH_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            try:
                # The same checks as a password set on the site (AUTH_PASSWORD_VALIDATORS).
                validate_password(password, user=User(username=username))
            except ValidationError as exc:
                raise CommandError(
                    "MTURKDASH_ADMIN_PASSWORD is refused: " + " ".join(exc.messages)
                ) from exc
            admin = User.objects.create_superuser(username=username, email="", password=password)
            shown = (
                "from MTURKDASH_ADMIN_PASSWORD"
                if os.environ.get("MTURKDASH_ADMIN_PASSWORD")
                else password
            )
            self.stdout.write(
                self.style.SUCCESS(f"Created the admin user {username!r}, password: {shown}")
            )
            if not os.environ.get("MTURKDASH_ADMIN_PASSWORD"):
                self.stdout.write("This password is shown once; change it after signing in.")

        requester, created = Requester.objects.get_or_create(
            name=LOCAL_ACCOUNT,
            defaults={
                "environment": Environment.LOCAL,
                "endpoint_url": settings.MTURK_LOCAL_ENDPOINT,
                "credential_source": CredentialSource.ENCRYPTED,
                "access_key_id": LOCAL_ACCESS_KEY,
                "secret_access_key": LOCAL_SECRET_KEY,
                "requests_per_second": 50.0,
                "sqs_queue_url": sqs_queue_url,
            },
        )
        if sqs_queue_url and requester.sqs_queue_url != sqs_queue_url:
            Requester.objects.filter(pk=requester.pk).update(sqs_queue_url=sqs_queue_url)
        Membership.objects.get_or_create(
            user=admin, requester=requester, defaults={"role": Role.ADMIN}
        )
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the account {LOCAL_ACCOUNT!r} ({requester.effective_endpoint})."
                )
            )
