"""Fixtures of the security suite: the role matrix's objects (one of each kind an action acts
on), a project and a batch beside them, and every POST view's URL filled with their ids."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.batches.models import Batch, BatchRow, BatchStatus
from apps.requesters.models import Membership
from tests.batches.conftest import make_project
from tests.test_role_matrix import WORKER, _actions
from tests.test_role_matrix import objects as objects  # the shared fixture


@pytest.fixture
def _batch_files(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def targets(objects, alice, bob, carol, victor, _batch_files):
    """URL name -> (URL, data) for every view that takes a POST, on objects of the account."""
    from tests.security.urlwalk import post_routes, role_matrix_names

    account = objects["account"]
    project = make_project(account, carol)
    batch = Batch.objects.create(
        project=project, requester=account, name="b", status=BatchStatus.VALIDATED, row_count=1
    )
    BatchRow.objects.create(
        batch=batch, index=0, source_row=2, values={"image_url": "u", "caption": "c"}
    )
    ids = {
        "accounts": account.pk,
        "batches/projects": project.pk,
        "batches": batch.pk,
        "qualifications": objects["qtype"].pk,
        "review/jobs": objects["job"].pk,
        "review/bonuses": objects["bonus_batch"].pk,
        "workers/updates": objects["update"].pk,
    }
    kwargs_for = {
        "member_pk": Membership.objects.get(user=victor, requester=account).pk,
        "request_pk": objects["qrequest"].pk,
        "worker_id": WORKER,
        "index": 0,
    }
    rows = {r[0]: (r[1], r[2]) for r in _actions(objects)}
    matrix = role_matrix_names()

    def url_of(route: str, name: str) -> str:
        kwargs = {}
        for kind, key in re.findall(r"<(?:(\w+):)?(\w+)>", route):
            if key == "pk":
                kwargs[key] = ids.get(route.split("/<")[0], objects["assignment"].pk)
            else:
                kwargs[key] = kwargs_for.get(key, 1 if kind == "int" else "x")
        return reverse(name, kwargs=kwargs)

    found = {}
    for name, route in post_routes().items():
        found[name] = rows[matrix[name]] if name in matrix else (url_of(route.route, name), {})
    return {
        "objects": objects,
        "project": project,
        "batch": batch,
        "urls": found,
        "url_of": url_of,
    }
