"""Reconciliation against the local MTurk, measured against its floor and against a baseline.

    .venv/bin/python benchmarks/sync.py [--hits 5000] [--rounds 3] [--latency-ms 50] [--rps 100]
        [--baseline-rounds 1] [--no-write]

An account holds N HITs (MaxAssignments 4) with 3 submitted assignments each, in a local MTurk
that answers every call 50 ms late and throttles at 100 requests per second (the account's rate
limit is set to match). Measured, each as the median of `--rounds` rounds:

- a full first sync into an empty mirror;
- a sync with nothing changed;
- a sync after 1% of the HITs got one more submission.

The floor is the fewest calls the data needs (ceil(N/100) ListHITs, one ListAssignmentsForHIT per
HIT with news, the three constant List calls) and, for time, those calls at the throttle. The
baseline is the loop the common tools run every time: ListHITs over all pages, then
ListAssignmentsForHIT for every HIT, sequentially, with plain boto3.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, median, setup_dashboard, write_section
from tests.fixtures.emulator import make_mturk_client, start_emulator

QUESTION = (
    '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<form><input name="label"></form>]]>'
    "</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"
)
CONSTANT_CALLS = 3  # ListQualificationTypes, ListWorkerBlocks, ListQualificationRequests


def populate(url: str, control, access_key: str, hits: int, per_hit: int) -> list[str]:
    """N HITs made with boto3, then `per_hit` submissions each by the simulated crowd."""
    client = make_mturk_client(url, access_key_id=access_key)

    def one(i: int) -> str:
        return client.create_hit(
            Title="Benchmark HIT",
            Description="Sync benchmark",
            Reward="0.05",
            AssignmentDurationInSeconds=3600,
            LifetimeInSeconds=86400 * 7,
            MaxAssignments=per_hit + 1,
            Question=QUESTION,
            RequesterAnnotation=f"row {i}",
        )["HIT"]["HITId"]

    with ThreadPoolExecutor(8) as pool:
        hit_ids = list(pool.map(one, range(hits)))
    control.timeout = 300
    for start in range(0, hits, 100):
        chunk = hit_ids[start : start + 100]
        for _ in range(per_hit):
            control.crowd_work(HITIds=chunk, assignments=len(chunk), profile="diligent", seed=start)
    return hit_ids


def baseline(url: str, access_key: str) -> tuple[float, int]:
    """ListHITs over all pages, then ListAssignmentsForHIT for every HIT, one call at a time."""
    client = make_mturk_client(url, access_key_id=access_key)
    started = time.monotonic()
    calls = 0
    hit_ids, token = [], None
    while True:
        page = client.list_hits(MaxResults=100, **({"NextToken": token} if token else {}))
        calls += 1
        hit_ids += [h["HITId"] for h in page["HITs"]]
        token = page.get("NextToken")
        if not token:
            break
    for hit_id in hit_ids:
        token = None
        while True:
            page = client.list_assignments_for_hit(
                HITId=hit_id, MaxResults=100, **({"NextToken": token} if token else {})
            )
            calls += 1
            token = page.get("NextToken")
            if not token:
                break
    return time.monotonic() - started, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=5000)
    parser.add_argument("--per-hit", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-rounds", type=int, default=1)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rps", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sync-bench-") as directory:
        directory = Path(directory)
        setup_dashboard(directory)
        from apps.hits.models import HIT, Assignment, HITType, SyncLock, SyncRun
        from apps.requesters.models import Environment, Requester
        from apps.sync.services import requester_sync
        from apps.workers.models import Worker

        server = start_emulator(directory / "emulator")
        control = server.control
        try:
            access_key = "AKIABENCHSYNC0000001"
            print(
                f"populating {args.hits} HITs x {args.per_hit} submitted assignments ...",
                flush=True,
            )
            started = time.monotonic()
            hit_ids = populate(server.url, control, access_key, args.hits, args.per_hit)
            print(f"  done in {time.monotonic() - started:.0f}s", flush=True)
            requester = Requester.objects.create(
                name="Benchmark",
                environment=Environment.LOCAL,
                endpoint_url=server.url,
                access_key_id=access_key,
                secret_access_key="secret",
                requests_per_second=args.rps,
            )
            control.faults(latency_ms=args.latency_ms, throttle_rps=args.rps)

            def clear_mirror() -> None:
                Assignment.objects.filter(requester=requester).delete()
                HIT.objects.filter(requester=requester).delete()
                HITType.objects.filter(requester=requester).delete()
                Worker.objects.filter(requester=requester).delete()
                SyncRun.objects.filter(requester=requester).delete()
                SyncLock.objects.filter(requester=requester).delete()

            def timed(full: bool = False) -> tuple[float, dict]:
                began = time.monotonic()
                report = requester_sync(requester=requester, full=full, threads=args.threads)
                assert report.run.ok, report.run.error
                return time.monotonic() - began, dict(report.run.calls)

            pages = math.ceil(args.hits / 100)
            first_times, first_calls = [], {}
            for round_ in range(args.rounds):
                clear_mirror()
                seconds, first_calls = timed()
                first_times.append(seconds)
                print(
                    f"  full first sync, round {round_ + 1}: {seconds:.1f}s {first_calls}",
                    flush=True,
                )
            stored = Assignment.objects.filter(requester=requester).count()
            assert stored == args.hits * args.per_hit, stored

            unchanged_times, unchanged_calls = [], {}
            for _ in range(args.rounds):
                seconds, unchanged_calls = timed()
                unchanged_times.append(seconds)
            print(f"  unchanged sync: {median(unchanged_times):.2f}s {unchanged_calls}", flush=True)

            changed_n = max(1, args.hits // 100)
            changed_times, changed_calls = [], {}
            for round_ in range(args.rounds):
                offset = round_ * changed_n
                control.crowd_work(
                    HITIds=hit_ids[offset : offset + changed_n],
                    assignments=changed_n,
                    profile="average",
                    seed=round_,
                )
                seconds, changed_calls = timed()
                changed_times.append(seconds)
            print(f"  1% changed sync: {median(changed_times):.2f}s {changed_calls}", flush=True)

            baseline_times, baseline_calls = [], 0
            for _ in range(args.baseline_rounds):
                seconds, baseline_calls = baseline(server.url, access_key)
                baseline_times.append(seconds)
            print(
                f"  baseline loop: {median(baseline_times):.1f}s, {baseline_calls} calls",
                flush=True,
            )
        finally:
            server.stop()

    first_floor_calls = pages + args.hits + CONSTANT_CALLS
    first_floor_time = first_floor_calls / args.rps
    changed_floor_calls = pages + changed_n + CONSTANT_CALLS
    first_total = sum(first_calls.values())
    unchanged_total = sum(unchanged_calls.values())
    changed_total = sum(changed_calls.values())
    first_median = median(first_times)
    baseline_median = median(baseline_times)
    lines = [
        "## Reconciliation (`benchmarks/sync.py`)",
        "",
        f"Measured {machine()}. {args.hits:,} HITs x {args.per_hit} submitted assignments in one local "
        f"MTurk process (SQLite) answering {args.latency_ms} ms late and throttling at {args.rps:.0f} "
        f"requests/s; the account's rate limit set to match; sync with {args.threads} listing threads. "
        f"Times are medians of {args.rounds} rounds (baseline: {args.baseline_rounds}).",
        "",
        "| sync | calls | floor (calls) | calls / floor | time / time floor | vs baseline |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| full first sync | {first_total:,} | {first_floor_calls:,} | {first_total / first_floor_calls:.3f} "
        f"| {first_median / first_floor_time:.2f} (floor {first_floor_time:.1f} s at {args.rps:.0f}/s) "
        f"| {baseline_median / first_median:.1f}x faster |",
        f"| nothing changed | {unchanged_total} | {pages + CONSTANT_CALLS} | "
        f"{unchanged_total / (pages + CONSTANT_CALLS):.2f} | — | {baseline_calls / unchanged_total:.0f}x fewer calls |",
        f"| 1% changed ({changed_n} HITs) | {changed_total} | {changed_floor_calls} | "
        f"{changed_total / changed_floor_calls:.2f} | — | {baseline_calls / changed_total:.0f}x fewer calls |",
        f"| baseline loop (every time) | {baseline_calls:,} | — | — | "
        f"{baseline_median / first_floor_time:.2f} | 1x |",
        "",
        "Goals: calls <= 1.05 x floor; a full first sync within 1.15 x the time floor and at least 4x "
        "faster than the baseline; an unchanged sync in ceil(N/100) + a few calls.",
        "",
        f"Calls of the first sync: {', '.join(f'{k} {v}' for k, v in sorted(first_calls.items()))}.",
        "Rounds (s): first "
        + ", ".join(f"{t:.1f}" for t in first_times)
        + "; unchanged "
        + ", ".join(f"{t:.2f}" for t in unchanged_times)
        + "; 1% changed "
        + ", ".join(f"{t:.2f}" for t in changed_times)
        + "; baseline "
        + ", ".join(f"{t:.1f}" for t in baseline_times)
        + ".",
    ]
    print("\n".join(lines))
    if not args.no_write:
        print(f"wrote {write_section('sync', lines).name}")


if __name__ == "__main__":
    main()
