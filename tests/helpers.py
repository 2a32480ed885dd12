"""Small builders shared by dashboard tests that put objects into the local MTurk."""

from __future__ import annotations

import secrets
import string
from decimal import Decimal

HTML_QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value=""><input name="label"><input type="submit">
</form></body></html>]]></HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>"""


def new_worker_id() -> str:
    return "A" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(13))


def create_hit(client, **overrides) -> dict:
    params = {
        "Title": "Label a picture",
        "Description": "Say what the picture shows.",
        "Keywords": "image, label",
        "Reward": "0.50",
        "AssignmentDurationInSeconds": 600,
        "LifetimeInSeconds": 3600,
        "AutoApprovalDelayInSeconds": 86400,
        "MaxAssignments": 1,
        "Question": HTML_QUESTION,
    }
    params.update(overrides)
    return client.create_hit(**params)["HIT"]


def work(
    emulator, hit_id: str, answers: dict | None = None, worker_id: str | None = None
) -> tuple[str, str]:
    """A worker accepts and submits one assignment; returns (assignment id, worker id)."""
    worker_id = worker_id or new_worker_id()
    assignment_id = emulator.accept(worker_id, hit_id)
    emulator.submit(assignment_id, answers=answers or {"label": "cat"})
    return assignment_id, worker_id


def paid_at_mturk(event) -> Decimal:
    """What an audit entry's decision or bonus cost at MTurk: its amount and fee, or, for the
    approval of work counted when it was launched (no amount), the reward and fee it names."""
    if event.amount is not None:
        return event.amount + (event.fee or 0)
    details = event.details or {}
    if "reward" in details:
        return Decimal(details["reward"]) + Decimal(details["fee"])
    return Decimal("0")
