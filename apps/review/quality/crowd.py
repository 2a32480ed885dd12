"""Worker quality over a set of HITs, and the aggregated answer per HIT, with crowd-kit.

Each categorical answer field of each HIT is a task; every worker's value for it is a label.
Dawid-Skene (or MACE, or plain majority vote as the baseline) estimates the true label of every
task; a worker's quality is the share of their labels that match the estimate.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field

from apps.batches.models import Batch
from apps.hits.agreement import MAX_CATEGORY_LENGTH
from apps.hits.models import Assignment
from apps.requesters.models import Requester
from apps.review.quality.gold import batch_assignments

METHODS = {"dawid_skene": "Dawid-Skene", "mace": "MACE", "majority": "Majority vote"}
MAX_DISTINCT = 20
_SEP = "\x1f"


@dataclass
class WorkerQuality:
    worker_id: str
    assignments: int
    labels: int
    accuracy: float | None
    agreement: float | None


@dataclass
class QualityReport:
    method: str
    fields: list[str]
    workers: list[WorkerQuality] = field(default_factory=list)
    # HIT id -> field -> (aggregated answer, confidence or None)
    answers: dict[str, dict[str, tuple[str, float | None]]] = field(default_factory=dict)


def _label(value) -> str | None:
    if isinstance(value, list):
        value = "|".join(sorted(str(v) for v in value))
    text = str(value).strip()
    return text if text and len(text) <= MAX_CATEGORY_LENGTH else None


def categorical_fields(answer_sets: list[dict]) -> list[str]:
    values: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for answers in answer_sets:
        for name, value in answers.items():
            label = _label(value)
            if label is None:
                values[name].add(_SEP)  # free text: too long to be a category
                continue
            values[name].add(label)
            counts[name] += 1
    return sorted(
        name
        for name, seen in values.items()
        if _SEP not in seen and len(seen) <= MAX_DISTINCT and counts[name] > len(seen)
    )


def worker_quality(
    *,
    requester: Requester,
    hit_type_mturk_id: str = "",
    batch: Batch | None = None,
    method: str = "dawid_skene",
) -> QualityReport:
    """Quality over the HITs of one HIT type, or over the HITs of one batch."""
    if batch is not None:
        assignments = batch_assignments(batch)
    else:
        assignments = Assignment.objects.filter(
            requester=requester, hit__hit_type_mturk_id=hit_type_mturk_id
        )
    rows = list(assignments.values_list("hit__mturk_id", "worker_id", "answers", "agreement"))
    fields = categorical_fields([answers for _, _, answers, _ in rows])
    report = QualityReport(method=method, fields=fields)
    if not rows:
        return report
    labels = [
        {"task": f"{hit}{_SEP}{name}", "worker": worker, "label": _label(answers.get(name, ""))}
        for hit, worker, answers, _ in rows
        for name in fields
        if _label(answers.get(name, "")) is not None
    ]
    truth, confidence = labels_estimate(labels, method) if labels else ({}, {})
    report.workers = _workers_scored(rows, labels, truth)
    for task, label in truth.items():
        hit, name = task.split(_SEP, 1)
        report.answers.setdefault(hit, {})[name] = (label, confidence.get(task))
    return report


def labels_estimate(labels: list[dict], method: str) -> tuple[dict[str, str], dict[str, float]]:
    """crowd-kit's estimate of each task's true label, and its confidence when the method
    gives one. `labels`: one {"task", "worker", "label"} per answer (also the label fields of
    `aggregate.batch_aggregate`)."""
    import pandas as pd
    from crowdkit.aggregation import MACE, DawidSkene, MajorityVote

    if method == "mace":
        # One restart of 30 iterations: crowd-kit spends about 17 ms per iteration whatever the
        # size, so its default 10 x 50 takes seconds for a handful of answers.
        model = MACE(n_restarts=1, n_iter=30, random_state=0)
    elif method == "majority":
        model = MajorityVote()
    else:
        model = DawidSkene(n_iter=100)
    with warnings.catch_warnings():
        # crowd-kit still uses pandas' inplace= arguments, deprecated in pandas 3.
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        truth = model.fit_predict(pd.DataFrame(labels)).to_dict()
    probas = getattr(model, "probas_", None)
    confidence = (
        {task: float(probas.loc[task].max()) for task in probas.index} if probas is not None else {}
    )
    return truth, confidence


def _workers_scored(
    rows: list[tuple], labels: list[dict], truth: dict[str, str]
) -> list[WorkerQuality]:
    """Each worker's share of labels matching the estimate and mean agreement, worst first."""
    per_worker = defaultdict(lambda: {"assignments": 0, "agreements": []})
    for _, worker, _, agreement in rows:
        per_worker[worker]["assignments"] += 1
        if agreement is not None:
            per_worker[worker]["agreements"].append(agreement)
    matched = defaultdict(lambda: [0, 0])
    for item in labels:
        counts = matched[item["worker"]]
        counts[1] += 1
        counts[0] += int(truth.get(item["task"]) == item["label"])
    workers = []
    for worker, data in per_worker.items():
        right, total = matched.get(worker, [0, 0])
        agreements = data["agreements"]
        workers.append(
            WorkerQuality(
                worker_id=worker,
                assignments=data["assignments"],
                labels=total,
                accuracy=round(right / total, 4) if total else None,
                agreement=round(sum(agreements) / len(agreements), 4) if agreements else None,
            )
        )
    workers.sort(
        key=lambda w: (w.accuracy is None, w.accuracy if w.accuracy is not None else 0, w.worker_id)
    )
    return workers
