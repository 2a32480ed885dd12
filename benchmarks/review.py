"""The review queue of a big batch, and a bulk approval, on PostgreSQL.

    .venv/bin/python benchmarks/review.py [--assignments 30000] [--requests 100]
        [--approve 2000] [--latency-ms 30] [--rps 20] [--workers 2]
        [--postgres postgres://postgres@127.0.0.1:5432] [--no-write]

Runs on a PostgreSQL database of its own (`mturkdash_bench_review`, created and dropped here).

(a) The review page of one batch of N assignments (written directly into the mirror: HITs of 3
assignments with answers, agreement and workers; a second batch of the same HIT type beside it,
so the filter has work to do), 50 a page, through the Django test client as a reviewer: the
SQL queries of pages 1, 100 and the last (constant, goal <= 15), then the server time of
`--requests` requests to random pages (goal: p95 <= 150 ms).

(b) A bulk approval of M submitted assignments through the real path: `bulk_review_start` (as the
queue's "Approve all" does), a real Celery worker process running the chunk tasks, each chunk
keeping several MTurk calls in flight, against one local MTurk process throttling at `--rps`
and answering `--latency-ms` late; the account's rate limit set to match. Floor: M calls at
the throttle. Goal: wall time <= 1.15 x floor, each assignment approved exactly once.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, median, setup_dashboard, write_section
from tests.fixtures.emulator import make_mturk_client, random_access_key_id, start_emulator

DATABASE = "mturkdash_bench_review"
PER_PAGE = 50
PER_HIT = 3
ANSWER_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/"
    "QuestionFormAnswers.xsd"
)
QUESTION = (
    '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<form><input name="label"></form>]]>'
    "</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"
)
LABELS = ["cat", "dog", "bird", "horse", "none of these"]


def _admin_url(server: str) -> str:
    return f"{server.rstrip('/')}/postgres"


def database_create(server: str) -> str:
    import psycopg

    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return f"{server.rstrip('/')}/{DATABASE}"


def database_drop(server: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def answer_xml(fields: dict[str, str]) -> str:
    answers = "".join(
        f"<Answer><QuestionIdentifier>{k}</QuestionIdentifier><FreeText>{v}</FreeText></Answer>"
        for k, v in fields.items()
    )
    return (
        f'<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="{ANSWER_NS}">'
        f"{answers}</QuestionFormAnswers>"
    )


# --- (a) the review page ---------------------------------------------------------------------


def populate_mirror(requester, assignments: int, *, other: int) -> tuple:
    """Two launched batches of one HIT type in the mirror; returns (batch, other batch)."""
    from apps.batches.models import Batch, BatchStatus, Project
    from apps.hits.models import HIT, Assignment, AssignmentStatus, HITType
    from apps.review.models import FeedbackReason

    project = Project.objects.create(
        requester=requester,
        name="Label images",
        template="<p>${image_url}</p>",
        title="Label an image",
        description="Say what the image shows.",
        reward=Decimal("0.10"),
        max_assignments=PER_HIT,
    )
    hit_type = HITType.objects.create(
        requester=requester,
        mturk_id="3BENCHREVIEWHITTYPE00000000000",
        title="Label an image",
        reward=Decimal("0.10"),
        assignment_duration=600,
        auto_approval_delay=3 * 86400,
    )
    rng = random.Random(7)
    workers = [f"A{rng.randrange(16**12):012X}W" for _ in range(800)]
    now = time.time()
    from django.utils import timezone

    start = timezone.now() - timedelta(days=1)
    batches = []
    for name, count in (("Main batch", assignments), ("Other batch", other)):
        batch = Batch.objects.create(
            project=project,
            requester=requester,
            name=name,
            status=BatchStatus.LAUNCHED,
            hit_type_mturk_id=hit_type.mturk_id,
            row_count=count // PER_HIT,
        )
        batches.append(batch)
        hits = [
            HIT(
                requester=requester,
                mturk_id=f"3BENCH{batch.pk:02d}{i:022d}",
                hit_type=hit_type,
                hit_type_mturk_id=hit_type.mturk_id,
                title="Label an image",
                status="Reviewable",
                max_assignments=PER_HIT,
                completed=PER_HIT,
                reward=Decimal("0.10"),
                annotation=f"mturkdash:{batch.launch_key}:{i} https://example.org/{i}.png",
                batch_key=batch.launch_key,
                created_at_mturk=start,
            )
            for i in range(count // PER_HIT)
        ]
        HIT.objects.bulk_create(hits, batch_size=2000)
        rows = []
        for hit in HIT.objects.filter(batch_key=batch.launch_key).order_by("pk"):
            majority = rng.choice(LABELS)
            for k in range(PER_HIT):
                label = majority if rng.random() < 0.8 else rng.choice(LABELS)
                fields = {
                    "label": label,
                    "confidence": str(rng.randint(1, 5)),
                    "comment": rng.choice(["", "blurry picture", "easy", "two animals"]),
                }
                submitted = start + timedelta(seconds=rng.randrange(86000))
                rows.append(
                    Assignment(
                        requester=requester,
                        mturk_id=f"3BA{hit.pk:09d}{k:02d}{batch.pk:02d}".ljust(30, "0"),
                        hit=hit,
                        batch_key=batch.launch_key,
                        worker_id=rng.choice(workers),
                        status=AssignmentStatus.SUBMITTED,
                        accept_time=submitted - timedelta(seconds=rng.randint(20, 400)),
                        submit_time=submitted,
                        auto_approval_time=submitted + timedelta(days=3),
                        answer_xml=answer_xml(fields),
                        answers=fields,
                        agreement=1.0 if label == majority else 0.5,
                        raw={"HITId": hit.mturk_id, "AssignmentStatus": "Submitted"},
                        synced_at=timezone.now(),
                    )
                )
            if len(rows) >= 6000:
                Assignment.objects.bulk_create(rows, batch_size=2000)
                rows = []
        Assignment.objects.bulk_create(rows, batch_size=2000)
    from apps.workers.sync import workers_refresh

    workers_refresh(requester=requester, worker_ids=set(workers))
    for text in ("Answer does not match the image", "Empty answer", "Copied answer"):
        FeedbackReason.objects.create(requester=requester, text=text)
    print(f"  mirror written in {time.time() - now:.0f}s", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum leaves a table at rest: statistics, and pages marked all-visible
        # (index-only scans read the index alone).
        cursor.execute("VACUUM ANALYZE")
    return batches[0], batches[1]


def measure_page(client, batch, pages: int, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = {}
    for number in (1, min(100, pages), pages):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/review/?batch={batch.pk}&page={number}")
        assert response.status_code == 200, response.status_code
        body = response.content.decode()
        assert body.count("data-assignment") == PER_PAGE, number
        assert f"Page {number} of {pages}" in body, number
        queries[number] = len(captured)
    rng = random.Random(11)
    times, cpu = [], []
    for _ in range(requests):
        number = rng.randint(1, pages)
        began, began_cpu = time.perf_counter(), time.thread_time()
        response = client.get(f"/review/?batch={batch.pk}&page={number}")
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
        assert response.status_code == 200
    return {
        "queries": queries,
        "median": median(times),
        "p95": percentile(times, 0.95),
        "max": max(times),
        "mean": statistics.fmean(times),
        "cpu_median": median(cpu),
        "cpu_p95": percentile(cpu, 0.95),
    }


def explain_ids_query(requester, batch, page: int) -> str:
    """PostgreSQL's plan and timing for the page's id query (the only one that grows)."""
    from django.db import connection

    from apps.review.decisions import selectors

    queryset = selectors.review_queue(
        requester, filters={"status": "Submitted", "batch": batch}
    ).values_list("pk", flat=True)[(page - 1) * PER_PAGE : page * PER_PAGE]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    return next((line for line in lines if "Execution Time" in line), "").strip()


# --- (b) bulk approval -----------------------------------------------------------------------


def populate_mturk(url: str, control, access_key: str, assignments: int) -> None:
    """Submitted assignments at the local MTurk: HITs of 100, worked by the simulated crowd."""
    client = make_mturk_client(url, access_key_id=access_key)
    per_hit = 100

    def one(i: int) -> str:
        return client.create_hit(
            Title="Bulk approval benchmark",
            Description="Review benchmark",
            Reward="0.05",
            AssignmentDurationInSeconds=3600,
            LifetimeInSeconds=86400 * 7,
            AutoApprovalDelayInSeconds=86400 * 3,
            MaxAssignments=per_hit,
            Question=QUESTION,
            RequesterAnnotation=f"bench {i}",
        )["HIT"]["HITId"]

    with ThreadPoolExecutor(4) as pool:
        hit_ids = list(pool.map(one, range(-(-assignments // per_hit))))
    control.timeout = 600
    control.crowd_work(HITIds=hit_ids, assignments=assignments, profile="diligent", seed=1)


def run_bulk(url: str, control, args, user) -> dict:
    from apps.hits.models import Assignment, AssignmentStatus
    from apps.requesters.models import Environment, Membership, Requester
    from apps.review.decisions import bulk
    from apps.review.models import BulkReview
    from apps.sync.services import requester_sync

    access_key = random_access_key_id()
    requester = Requester.objects.create(
        name="Benchmark bulk approval",
        environment=Environment.LOCAL,
        endpoint_url=url,
        access_key_id=access_key,
        secret_access_key="secret",
        requests_per_second=200,
        daily_spend_limit=Decimal("100000"),
    )
    membership = Membership.objects.create(user=user, requester=requester, role="reviewer")
    began = time.monotonic()
    populate_mturk(url, control, access_key, args.approve)
    report = requester_sync(requester=requester)
    assert report.run.ok, report.run.error
    ids = list(
        Assignment.objects.filter(
            requester=requester, status=AssignmentStatus.SUBMITTED
        ).values_list("pk", flat=True)
    )
    assert len(ids) == args.approve, len(ids)
    print(
        f"  {len(ids)} submitted assignments ready in {time.monotonic() - began:.0f}s", flush=True
    )
    Requester.objects.filter(pk=requester.pk).update(requests_per_second=args.rps)
    membership = Membership.objects.select_related("requester").get(pk=membership.pk)
    control.faults(latency_ms=args.latency_ms, throttle_rps=args.rps)
    before = control.stats()["customers"].get(access_key, {})
    started = time.monotonic()
    job = bulk.bulk_review_start(
        membership=membership, actor=user, items=[{"id": i, "action": "approve"} for i in ids]
    )
    while BulkReview.objects.get(pk=job.pk).status != BulkReview.Status.FINISHED:
        if time.monotonic() - started > 600:
            raise RuntimeError("the bulk job did not finish in 10 minutes")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    control.clear_faults()
    after = control.stats()
    calls = {k: v - before.get(k, 0) for k, v in after["customers"].get(access_key, {}).items()}
    progress = bulk.bulk_review_progress(job)
    return {
        "seconds": seconds,
        "approved": Assignment.objects.filter(
            requester=requester, status=AssignmentStatus.APPROVED
        ).count(),
        "done": progress.done,
        "skipped": progress.skipped,
        "failed": progress.failed,
        "approve_calls": calls.get("ApproveAssignment", 0),
        "calls": {k: v for k, v in sorted(calls.items()) if v},
        "errors": after.get("errors", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", type=int, default=30000)
    parser.add_argument("--other", type=int, default=15000, help="assignments of a second batch")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--approve", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    database_url = database_create(args.postgres)
    try:
        with tempfile.TemporaryDirectory(prefix="review-bench-") as directory:
            directory = Path(directory)
            setup_dashboard(directory, database_url)
            from django.contrib.auth import get_user_model
            from django.test import Client

            from apps.requesters.models import Environment, Membership, Requester
            from apps.review.decisions.bulk import bulk_threads
            from apps.review.decisions.views import PAGE_SIZE

            assert PAGE_SIZE == PER_PAGE
            user = get_user_model().objects.create(username="reviewer")
            requester = Requester.objects.create(
                name="Benchmark review",
                environment=Environment.LOCAL,
                endpoint_url="http://127.0.0.1:9",
                access_key_id=random_access_key_id(),
                secret_access_key="secret",
            )
            Membership.objects.create(user=user, requester=requester, role="reviewer")
            print(
                f"writing {args.assignments:,} + {args.other:,} assignments into the mirror ...",
                flush=True,
            )
            batch, _ = populate_mirror(requester, args.assignments, other=args.other)
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            pages = -(-args.assignments // PER_PAGE)
            client.get(f"/review/?batch={batch.pk}")  # warm the templates and the connection
            page = measure_page(client, batch, pages, args.requests)
            plan_first = explain_ids_query(requester, batch, 1)
            plan_last = explain_ids_query(requester, batch, pages)
            print(f"  review page: {page}; ids query {plan_first} / {plan_last}", flush=True)
            Membership.objects.filter(user=user).delete()

            from tests.fixtures.celery import start_celery_worker

            server = start_emulator(directory / "emulator")
            worker = start_celery_worker(concurrency=args.workers)
            try:
                result = run_bulk(server.url, server.control, args, user)
            finally:
                worker.stop()
                server.stop()
            print(f"  bulk approval: {result}", flush=True)
            from django.db import connections

            connections.close_all()
    finally:
        database_drop(args.postgres)

    floor = args.approve / args.rps
    load_after = os.getloadavg()[0]
    q = list(page["queries"].items())
    lines = [
        "## Review (`benchmarks/review.py`)",
        "",
        f"Measured {machine()}, on PostgreSQL (a database of its own). Load average before/after: "
        f"{load_before:.2f} / {load_after:.2f} (the machine is shared, so figures vary with what "
        "else runs).",
        "",
        f"**The review page of one batch.** {args.assignments:,} submitted assignments in one "
        f"batch ({args.assignments // PER_HIT:,} HITs of {PER_HIT}, answers, agreement, 800 "
        f"workers) beside a second batch of the same HIT type ({args.other:,}), {PER_PAGE} a "
        f"page ({pages} pages), requested through the Django test client as a reviewer "
        "(`/review/?batch=<id>&page=<n>`): server time from request to rendered page.",
        "",
        "| measure | result | goal |",
        "| --- | --- | --- |",
        f"| SQL queries, pages {' / '.join(str(n) for n, _ in q)} "
        f"| {' / '.join(str(c) for _, c in q)} | constant, <= 15 |",
        f"| server time, median of {args.requests} random pages | {page['median']:.1f} ms | — |",
        f"| server time, p95 | {page['p95']:.1f} ms (max {page['max']:.1f} ms) "
        f"| <= 150 ms ({page['p95'] / 150:.2f} of it) |",
        f"| the web process's CPU time per page, median / p95 | {page['cpu_median']:.1f} ms / "
        f"{page['cpu_p95']:.1f} ms | — |",
        f"| the page's id query at PostgreSQL, page 1 / {pages} | {plan_first.split(': ')[-1]} "
        f"/ {plan_last.split(': ')[-1]} | — |",
        "",
        "A page is the count and the page's ids, both read from one index range (Assignment "
        "(requester, batch_key, status, submit_time, id): the batch key is copied from the HIT "
        "at upsert), then those 50 rows with their HIT, HIT type and CSV row, the workers, the "
        "saved reasons: the same queries for any page. Server time follows the machine's load "
        "(another process's work takes the same two cores); the CPU time the web process spent "
        "per page is the figure to compare between runs.",
        "",
        f"**Bulk approval.** {args.approve:,} submitted assignments approved through "
        "`bulk_review_start` and one real Celery worker process "
        f"({args.workers} threads; chunks of 50, {bulk_threads()} calls in flight per chunk) "
        f"against one local MTurk process answering {args.latency_ms} ms late and throttling at "
        f"{args.rps:.0f} requests/s; the account's rate limit set to match. Floor: "
        f"{args.approve:,} ApproveAssignment calls at {args.rps:.0f}/s = {floor:.1f} s.",
        "",
        "| wall time | time / floor | approved | ApproveAssignment calls | done / skipped / failed "
        "| errors at MTurk |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {result['seconds']:.1f} s | {result['seconds'] / floor:.3f} | "
        f"{result['approved']:,} / {args.approve:,} | {result['approve_calls']:,} | "
        f"{result['done']} / {result['skipped']} / {result['failed']} | "
        f"{', '.join(f'{k} {v}' for k, v in result['errors'].items()) or 'none'} |",
        "",
        "Goal: wall time <= 1.15 x floor, each assignment approved exactly once (one "
        "ApproveAssignment call each). Wall time runs from the start of the job until every "
        "assignment has its outcome. Every item still goes through `assignment_approve`: the "
        "spending check, the compare-and-set claim on the assignment, the audit record.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        print(f"wrote {write_section('review', lines).name}")


if __name__ == "__main__":
    main()
