from __future__ import annotations

import secrets

import factory
from django.contrib.auth import get_user_model

from apps.requesters.models import CredentialSource, Environment, Membership, Requester
from apps.requesters.roles import Role


def random_access_key_id() -> str:
    return "AKIA" + secrets.token_hex(8).upper()


PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RequesterFactory(factory.django.DjangoModelFactory):
    """A local account; each gets its own access key, so its own customer at the local MTurk."""

    class Meta:
        model = Requester

    name = factory.Sequence(lambda n: f"Account {n}")
    environment = Environment.LOCAL
    endpoint_url = "http://127.0.0.1:9"  # tests that call MTurk point it at their emulator
    credential_source = CredentialSource.ENCRYPTED
    access_key_id = factory.LazyFunction(random_access_key_id)
    secret_access_key = "test-secret-access-key"
    requests_per_second = 200.0


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    requester = factory.SubFactory(RequesterFactory)
    role = Role.VIEWER
