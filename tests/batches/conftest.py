"""Builders for batch tests: a project of the test account and batches made from CSV text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.batches import services
from apps.batches.models import Project
from apps.requesters.models import Membership

TEMPLATE = """<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<p>What does ${image_url} show? (${caption})</p>
<input name="label"><input type="submit">
</form></body></html>"""


def make_project(account, user=None, **overrides) -> Project:
    fields = {
        "requester": account,
        "name": "Label images",
        "template": TEMPLATE,
        "title": "Label an image",
        "description": "Say what the image shows.",
        "keywords": "image, label",
        "reward": Decimal("0.50"),
        "max_assignments": 1,
        "lifetime": 3600,
        "assignment_duration": 600,
        "auto_approval_delay": 86400,
        "annotation": "pilot",
        "created_by": user,
    }
    fields.update(overrides)
    return Project.objects.create(**fields)


def csv_upload(text: str | bytes, name: str = "input.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def make_batch(project, user, text: str | bytes, name: str = "Batch 1"):
    membership = Membership.objects.get(user=user, requester=project.requester)
    return services.batch_create(
        membership=membership, actor=user, project=project, name=name, upload=csv_upload(text)
    )


def rows_csv(n: int) -> str:
    lines = ["image_url,caption"]
    lines += [f"https://example.org/{i}.png,picture {i}" for i in range(n)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(account, carol):
    return make_project(account, carol)


@pytest.fixture(autouse=True)
def _batch_files(settings, tmp_path):
    """Uploaded CSVs go to the test's own scratch directory."""
    settings.VAR_DIR = tmp_path
