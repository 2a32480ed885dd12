"""Launching a batch against the local MTurk, measured against the floor its throttle sets.

    .venv/bin/python benchmarks/launch.py [--rows 1000] [--latency-ms 30] [--rps 20]
        [--lost 0.05] [--workers 2] [--no-write]

A batch of N rows is launched through the real path: the launch service, a real Celery worker
process (`--workers` threads) running the launch and chunk tasks, the account's rate limiter set
to the throttle. The local MTurk answers every call `--latency-ms` late and throttles at `--rps`.
Measured twice: with no fault, and with `--lost` of all answers lost (the call is performed,
its answer never arrives). Each time the HITs at the local MTurk are counted: there
must be exactly one per row.

The floor is N calls at the throttle: N / rps seconds. Goal: wall time <= 1.15 x floor, zero
duplicates, with and without lost answers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, setup_dashboard, write_section
from tests.fixtures.emulator import make_mturk_client, random_access_key_id, start_emulator

TEMPLATE = (
    '<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">'
    '<input type="hidden" name="assignmentId"><p>${text}</p><input name="label"></form>'
)


def count_hits(url: str, access_key: str) -> tuple[int, int]:
    """(HITs at the local MTurk, distinct row markers among them)."""
    client = make_mturk_client(url, access_key_id=access_key)
    hits, token = [], None
    while True:
        page = client.list_hits(MaxResults=100, **({"NextToken": token} if token else {}))
        hits += page["HITs"]
        token = page.get("NextToken")
        if not token:
            break
    markers = {h.get("RequesterAnnotation", "").split(" ")[0] for h in hits}
    return len(hits), len(markers)


def final_rows_unread(batch) -> bool:
    from apps.batches.models import RowStatus

    return batch.rows.filter(status=RowStatus.CREATED, hit__isnull=True).exists()


def run(url: str, control, args, lost: float, label: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.batches import services
    from apps.batches.models import Batch, BatchStatus, Project, RowStatus
    from apps.requesters.models import Environment, Membership, Requester

    access_key = random_access_key_id()
    requester = Requester.objects.create(
        name=f"Benchmark {label}",
        environment=Environment.LOCAL,
        endpoint_url=url,
        access_key_id=access_key,
        secret_access_key="secret",
        requests_per_second=args.rps,
    )
    user, _ = get_user_model().objects.get_or_create(username="bench")
    membership = Membership.objects.create(user=user, requester=requester, role="manager")
    project = Project.objects.create(
        requester=requester,
        name="Benchmark",
        template=TEMPLATE,
        title="Benchmark HIT",
        description="Launch benchmark",
        reward="0.05",
        max_assignments=1,
        lifetime=86400,
        assignment_duration=600,
        auto_approval_delay=86400,
    )
    csv = "text\n" + "".join(f"row {i}\n" for i in range(args.rows))
    batch = services.batch_create(
        membership=membership,
        actor=user,
        project=project,
        name=label,
        upload=SimpleUploadedFile("rows.csv", csv.encode()),
    )
    control.faults(
        latency_ms=args.latency_ms, throttle_rps=args.rps, lost_response_rate=lost or None, seed=7
    )
    started = time.monotonic()
    services.batch_launch(membership=membership, actor=user, batch=batch)
    while Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHING:
        time.sleep(0.05)
    seconds = time.monotonic() - started
    # The HITs MTurk named in "already exists" answers are read once no row is left to create.
    while final_rows_unread(batch):
        time.sleep(0.05)
    mirrored = time.monotonic() - started
    control.clear_faults()
    final = Batch.objects.get(pk=batch.pk)
    created = final.rows.filter(status=RowStatus.CREATED).count()
    stats = control.stats()["customers"].get(access_key, {})
    hits, markers = count_hits(url, access_key)
    result = {
        "label": label,
        "seconds": seconds,
        "mirrored": mirrored,
        "status": final.status,
        "created": created,
        "hits": hits,
        "markers": markers,
        "calls": {k: v for k, v in sorted(stats.items()) if v},
    }
    print(f"  {label}: {seconds:.1f}s, {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--lost", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="launch-bench-") as directory:
        directory = Path(directory)
        setup_dashboard(directory)
        from tests.fixtures.celery import start_celery_worker

        server = start_emulator(directory / "emulator")
        worker = start_celery_worker(concurrency=args.workers)
        try:
            results = [
                run(server.url, server.control, args, 0.0, "no fault"),
                run(server.url, server.control, args, args.lost, f"{args.lost:.0%} answers lost"),
            ]
        finally:
            worker.stop()
            server.stop()

    floor = args.rows / args.rps
    load_after = os.getloadavg()[0]
    from apps.batches.launch import chunk_size, chunk_threads

    lines = [
        "## Launch (`benchmarks/launch.py`)",
        "",
        f"Measured {machine()}. {args.rows:,} rows launched through the launch service and one "
        f"real Celery worker process ({args.workers} threads; chunks of {chunk_size()} rows, "
        f"{chunk_threads()} calls in flight per chunk) against one local MTurk process answering {args.latency_ms} ms late "
        f"and throttling at {args.rps:.0f} requests/s; the account's rate limit set to match. "
        f"Floor: {args.rows:,} CreateHITWithHITType calls at {args.rps:.0f}/s = {floor:.1f} s. "
        f"Load average before/after: {load_before:.2f} / {load_after:.2f} (the machine is shared, "
        "so figures vary with what else runs).",
        "",
        "| run | wall time | time / floor | all mirrored | HITs at MTurk | duplicates | rows created "
        "| calls |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        calls = ", ".join(f"{k} {v}" for k, v in r["calls"].items())
        lines.append(
            f"| {r['label']} | {r['seconds']:.1f} s | {r['seconds'] / floor:.3f} "
            f"| {r['mirrored']:.1f} s | {r['hits']:,} "
            f"| {r['hits'] - r['markers']} | {r['created']:,} / {args.rows:,} | {calls} |"
        )
    lines += [
        "",
        "Goal: wall time <= 1.15 x floor and zero duplicates, with and without lost answers. "
        "Wall time runs from the launch request until the batch is launched (every row's HIT "
        "exists at MTurk). A lost answer costs the retried call, answered 'HIT already exists' "
        "with the HIT's id; those HITs are read (GetHIT) into the mirror right after the last "
        "creation (column 'all mirrored'), so that the reads take no throttle slot from the "
        "creations. Calls are counted at the local MTurk, retries included.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        print(f"wrote {write_section('launch', lines).name}")


if __name__ == "__main__":
    main()
