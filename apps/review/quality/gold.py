"""Gold questions scored: batch rows that carry the right answer in a CSV column of their own.

A project names them in `Project.gold_fields` ({answer field: CSV column}; read, printed and
checked by `apps.batches.gold`). Every assignment on
the HIT of a row whose gold cell is not empty is scored on that field: the worker's answer and
the gold value are compared after stripping and case folding, and multi-valued answers (a list,
or `|`-separated text) compare as sets. An answer the worker left out counts as wrong.

A HIT is tied to its row by `BatchRow.hit_mturk_id`; the rows are read in one query and the
assignments in another, whatever the batch's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery

from apps.batches.models import Batch, BatchRow, Project
from apps.hits.models import Assignment
from apps.review.models import WorkerGold


@dataclass(frozen=True)
class GoldScore:
    right: int
    total: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        return round(100 * self.right / self.total) if self.total else None


def _values(value) -> frozenset[str]:
    items = value if isinstance(value, list) else str(value if value is not None else "").split("|")
    return frozenset(text for text in (str(item).strip().casefold() for item in items) if text)


def answer_matches(answer, gold) -> bool:
    """Whether a worker's answer equals the gold value (stripped, case folded, as sets)."""
    expected = _values(gold)
    return bool(expected) and _values(answer) == expected


def row_gold(values: dict, gold_fields: dict[str, str]) -> dict[str, str]:
    """The gold answers a row holds: {answer field: gold value}, empty cells left out."""
    return {
        field: values[column]
        for field, column in gold_fields.items()
        if str(values.get(column) or "").strip()
    }


def assignment_gold(answers: dict, gold: dict[str, str]) -> GoldScore:
    right = sum(answer_matches(answers.get(field), value) for field, value in gold.items())
    return GoldScore(right=right, total=len(gold))


def batch_assignments(batch: Batch) -> QuerySet[Assignment]:
    """The assignments of the batch's HITs (each carries the batch's launch key, indexed)."""
    return Assignment.objects.filter(requester_id=batch.requester_id, batch_key=batch.launch_key)


def _gold_by_hit(batch: Batch) -> dict[str, dict[str, str]]:
    gold_fields = batch.project.gold_fields or {}
    if not gold_fields:
        return {}
    rows = (
        BatchRow.objects.filter(batch=batch)
        .exclude(hit_mturk_id="")
        .values_list("hit_mturk_id", "values")
    )
    by_hit = {}
    for hit_id, values in rows.iterator(chunk_size=2000):
        gold = row_gold(values or {}, gold_fields)
        if gold:
            by_hit[hit_id] = gold
    return by_hit


def batch_gold_results(batch: Batch) -> dict[int, tuple[str, GoldScore]]:
    """Assignment pk -> (worker id, its gold score), for the batch's assignments on gold HITs."""
    by_hit = _gold_by_hit(batch)
    if not by_hit:
        return {}
    results = {}
    for pk, worker_id, hit_id, answers in (
        batch_assignments(batch)
        .values_list("pk", "worker_id", "hit__mturk_id", "answers")
        .iterator(chunk_size=2000)
    ):
        gold = by_hit.get(hit_id)
        if gold:
            results[pk] = (worker_id, assignment_gold(answers or {}, gold))
    return results


def batch_gold_accuracy(batch: Batch) -> dict[str, GoldScore]:
    """Worker id -> their gold answers right of all they gave in this batch."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for worker_id, score in batch_gold_results(batch).values():
        sums[worker_id][0] += score.right
        sums[worker_id][1] += score.total
    return {worker: GoldScore(right, total) for worker, (right, total) in sums.items()}


def gold_refresh(batch: Batch) -> dict[str, GoldScore]:
    """Compute the batch's gold accuracy and store it per worker for the workers pages."""
    scores = batch_gold_accuracy(batch)
    with transaction.atomic():
        WorkerGold.objects.filter(batch=batch).exclude(worker_id__in=list(scores)).delete()
        WorkerGold.objects.bulk_create(
            [
                WorkerGold(
                    requester_id=batch.requester_id,
                    batch=batch,
                    worker_id=worker,
                    right=score.right,
                    total=score.total,
                )
                for worker, score in scores.items()
            ],
            update_conflicts=True,
            unique_fields=["batch", "worker_id"],
            update_fields=["right", "total", "computed_at"],
        )
    return scores


def gold_for_assignments(assignments: list[Assignment]) -> dict[int, GoldScore]:
    """Assignment pk -> gold score, for a page of assignments of any batches (two queries)."""
    if not assignments:
        return {}
    hit_ids = {a.hit.mturk_id for a in assignments}
    requester_ids = {a.requester_id for a in assignments}
    rows = BatchRow.objects.filter(
        batch__requester_id__in=requester_ids, hit_mturk_id__in=hit_ids
    ).values_list("batch__requester_id", "hit_mturk_id", "values", "batch__project_id")
    rows = list(rows)
    projects = dict(
        Project.objects.filter(pk__in={r[3] for r in rows}).values_list("pk", "gold_fields")
    )
    by_hit = {}
    for requester_id, hit_id, values, project_id in rows:
        gold = row_gold(values or {}, projects.get(project_id) or {})
        if gold:
            by_hit[(requester_id, hit_id)] = gold
    return {
        a.pk: assignment_gold(a.answers or {}, by_hit[(a.requester_id, a.hit.mturk_id)])
        for a in assignments
        if (a.requester_id, a.hit.mturk_id) in by_hit
    }


def gold_refresh_stale() -> int:
    """Recompute the stored figures of launched batches with gold answers whose assignments
    changed since (beat), so the workers pages stay current without a visit to each batch.
    The stale batches are found in one query. Returns how many batches were recomputed."""
    changed = (
        Assignment.objects.filter(
            requester_id=OuterRef("requester_id"), batch_key=OuterRef("launch_key")
        )
        .order_by()
        .values("batch_key")
        .annotate(at=Max("synced_at"))
        .values("at")
    )
    computed = (
        WorkerGold.objects.filter(batch=OuterRef("pk"))
        .order_by()
        .values("batch")
        .annotate(at=Max("computed_at"))
        .values("at")
    )
    stale = (
        Batch.objects.exclude(project__gold_fields={})
        .exclude(hit_type_mturk_id="")
        .select_related("project")
        .annotate(changed=Subquery(changed), computed=Subquery(computed))
        .filter(changed__isnull=False)
        .filter(Q(computed__isnull=True) | Q(changed__gt=F("computed")))
    )
    refreshed = 0
    for batch in stale:
        gold_refresh(batch)
        refreshed += 1
    return refreshed
