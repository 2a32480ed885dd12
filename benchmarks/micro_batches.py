"""What micro-batches save: a study of N responses published as one HIT of N assignments, and
as HITs of at most 9 (apps/batches/splitting.py), each fully worked and approved on the local
MTurk, which charges its own fees (its fee code is its own, not the dashboard's).

    .venv/bin/python benchmarks/micro_batches.py [--sizes 30 100 300] [--reward 1.00]
        [--repeaters 20] [--quick] [--no-write]

For each size, both ways: the batch (one row asking for N) is launched through the launch
service; N distinct workers each take one HIT; every assignment is approved; the fee is the
account's balance drop minus the rewards. In the split run, `--repeaters` of those workers then
try to take a second sibling HIT after their first was mirrored (reconciliation, as the
notifications would): each try must be refused by the sibling qualification.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, setup_dashboard, write_section
from tests.fixtures.emulator import (
    EmulatorControlError,
    make_mturk_client,
    random_access_key_id,
    start_emulator,
)
from tests.helpers import new_worker_id

TEMPLATE = (
    '<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">'
    '<input type="hidden" name="assignmentId"><p>${text}</p><input name="code"></form>'
)


def _balance(client) -> Decimal:
    return Decimal(client.get_account_balance()["AvailableBalance"])


def run(server, size: int, reward: Decimal, *, split: bool, repeaters: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.batches import services
    from apps.batches.models import Batch, BatchStatus, Project
    from apps.requesters.models import Environment, Membership, Requester
    from apps.sync.services import requester_sync

    access_key = random_access_key_id()
    client = make_mturk_client(server.url, access_key_id=access_key)
    requester = Requester.objects.create(
        name=f"Study of {size} {'split' if split else 'whole'}",
        environment=Environment.LOCAL,
        endpoint_url=server.url,
        access_key_id=access_key,
        secret_access_key="secret",
        daily_spend_limit=Decimal("100000.00"),
    )
    user, _ = get_user_model().objects.get_or_create(username="bench")
    membership = Membership.objects.create(user=user, requester=requester, role="admin")
    project = Project.objects.create(
        requester=requester,
        name="Study",
        template=TEMPLATE,
        title="A short study",
        description="Micro-batch benchmark",
        reward=reward,
        max_assignments=1,
        lifetime=86400,
        assignment_duration=600,
        auto_approval_delay=86400,
        split_assignments=split,
    )
    batch = services.batch_create(
        membership=membership,
        actor=user,
        project=project,
        name="Study",
        upload=SimpleUploadedFile("study.csv", b"text\nThe study\n"),
    )
    Batch.objects.filter(pk=batch.pk).update(assignments_per_row=size)
    batch.refresh_from_db()
    estimate = services.batch_estimate(batch)
    before = _balance(client)
    services.batch_launch(membership=membership, actor=user, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED, batch.error
    hit_ids = list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))
    sizes = [client.get_hit(HITId=h)["HIT"]["MaxAssignments"] for h in hit_ids]

    workers = []
    for hit_id, assignments in zip(hit_ids, sizes, strict=True):
        for _ in range(assignments):
            worker = new_worker_id()
            assignment = server.control.accept(worker, hit_id)
            server.control.submit(assignment, answers={"code": "DONE"})
            workers.append((worker, hit_id))
    requester_sync(requester=requester)

    refused = tried = 0
    if split and len(hit_ids) > 1:
        for worker, first in workers[:repeaters]:
            sibling = next(h for h in hit_ids if h != first)
            tried += 1
            try:
                server.control.accept(worker, sibling)
            except EmulatorControlError:
                refused += 1

    approved = 0
    for hit_id in hit_ids:
        pages = client.get_paginator("list_assignments_for_hit").paginate(
            HITId=hit_id, PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            for assignment in page["Assignments"]:
                client.approve_assignment(AssignmentId=assignment["AssignmentId"])
                approved += 1
    spent = before - _balance(client)
    rewards = reward * approved
    result = {
        "size": size,
        "split": split,
        "hits": len(hit_ids),
        "largest": max(sizes),
        "approved": approved,
        "rewards": rewards,
        "fees": spent - rewards,
        "spent": spent,
        "estimate": estimate.total,
        "tried": tried,
        "refused": refused,
    }
    print(f"  {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--reward", default="1.00")
    parser.add_argument("--repeaters", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="one study of 30")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sizes = [30] if args.quick else args.sizes
    reward = Decimal(args.reward)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="micro-bench-") as directory:
        directory = Path(directory)
        setup_dashboard(directory)
        from mturkdash.celery import app

        # The launch runs in this process: the figures are money, not time.
        app.conf.task_always_eager = True
        server = start_emulator(directory / "emulator")
        from django.conf import settings

        settings.MTURK_ENDPOINTS_ALLOWED = [server.url]
        try:
            results = [
                run(server, size, reward, split=split, repeaters=args.repeaters)
                for size in sizes
                for split in (False, True)
            ]
        finally:
            server.stop()
    load_after = os.getloadavg()[0]

    lines = [
        "## Micro-batches (`benchmarks/micro_batches.py`)",
        "",
        f"Measured {machine()}. A study of N responses at ${reward} each, published as one HIT "
        "of N assignments and as HITs of at most 9, fully worked by N distinct workers and "
        "approved on one local MTurk process; the fee is what the local MTurk charged (the "
        "account's balance drop minus the rewards), by its own fee code. Load average "
        f"before/after: {load_before:.2f} / {load_after:.2f}.",
        "",
        "| N | published as | HITs | most assignments in a HIT | fees charged | fee / rewards "
        "| total | dashboard's estimate | saving vs one HIT | second HIT refused |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    whole = {}
    for r in results:
        if not r["split"]:
            whole[r["size"]] = r
        saving = ""
        if r["split"]:
            base = whole[r["size"]]["spent"]
            saving = f"{(base - r['spent']) / base:.1%} of the total"
        refused = f"{r['refused']} of {r['tried']}" if r["tried"] else "—"
        lines.append(
            f"| {r['size']} | {'HITs of at most 9' if r['split'] else 'one HIT'} | {r['hits']} "
            f"| {r['largest']} | ${r['fees']:,.2f} | {r['fees'] / r['rewards']:.0%} "
            f"| ${r['spent']:,.2f} | ${r['estimate']:,.2f} | {saving or '—'} | {refused} |"
        )
    lines += [
        "",
        "Goal: the split study pays 20% in fees instead of 40% (a saving of 1/7, 14.3%, of the "
        "total), the dashboard's estimate equals what was charged, and no worker gets a second "
        "HIT of the same study.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        print(f"wrote {write_section('micro-batches', lines).name}")


if __name__ == "__main__":
    main()
