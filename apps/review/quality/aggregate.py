"""A batch's aggregated results: for every HIT and answering element, one answer made of the
workers' answers, in `apps.batches.taskspec`'s shape for the element's kind, with the method's
confidence and how much the workers agree.

Submitted and approved assignments count; rejected ones do not. Per kind (see docs/results.md):

- **label** (classifiers, radio groups, selects) and **flag** (a toggle, a lone check box, as a
  true/false label): crowd-kit's Dawid-Skene (`dawid_skene`, confidence its posterior), MACE
  (`mace`) or a majority vote (`majority`, confidence the share of votes). The model is fitted
  on every answer of the batch, but an item with fewer than three answers takes the majority of
  its answers (its `method` says so; ties go to the first option). Agreement: the share of
  workers who gave the aggregated label.
- **labels** (multi-select): each option a yes/no task, aggregated as a label; the value is the
  options kept, `label_confidence` each option's probability of being kept, confidence the mean
  confidence of the decisions, agreement the mean over options of the share of workers whose
  tick (or its absence) matches the decision. Without a model a tie keeps nothing.
- **text**: crowd-kit's ROVER over whitespace tokens for items with three answers or more, else
  the most common text (compared with case and spacing folded). Agreement: the mean pairwise
  similarity, 1 - the word edit distance over the longer text's words (case folded). Confidence:
  the mean similarity of the answers to the result. ROVER aligns words, so on free text (a
  survey's comment) it gives a readable merge at best: the field's method says which was used.
- **number**: the median. Agreement: 1 - IQR / range, the range the slider's (min..max) when the
  template gives it, else the answers'. No confidence.
- **boxes, keypoints, lines, polylines, polygons**: clusters of shapes (`shape_consensus`).
- **semantic, instances**: masks aggregated with crowd-kit (`mask_consensus`).
- **entities**: each token (word or punctuation mark) takes the label more workers gave it than
  gave it none or any other label; spans are runs of tokens of one label, split where most of
  its workers began a span (`entities_consensus`). Agreement: the mean pairwise F1 of workers'
  spans (label, start and end all equal). Confidence: over the result's tokens, the mean share
  of workers who gave its label.

Agreement is None for an item with fewer than two answers: nobody to agree with. A batch whose
question is no HTML template (QuestionForm, ExternalQuestion) is read from its answers' names:
fields whose answers look like categories are labels, the others text.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import numpy as np

from apps.batches import taskspec, templating
from apps.batches.models import Batch, QuestionKind
from apps.batches.services import batch_properties
from apps.batches.taskspec import TaskElement
from apps.hits.models import AssignmentStatus
from apps.mturk.answers import CROWD_FIELD
from apps.review.quality import mask_consensus, shape_consensus
from apps.review.quality.crowd import METHODS, categorical_fields, labels_estimate
from apps.review.quality.gold import batch_assignments

COUNTED = [AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED]
MIN_MODEL_ANSWERS = 3  # fewer answers on an item: its majority, not the model's estimate
# A model of each worker's errors needs each worker on many items: with the median worker on
# fewer, every item takes its majority. (On a handful of items Dawid-Skene fits each worker's
# confusion to their few labels and can overrule two votes out of three with full confidence.)
MIN_WORKER_TASKS = 10
MAX_LABEL_LENGTH = 200
MAX_OPTIONS = 100
MAX_ANSWERED_OPTIONS = 20  # options of a multi-select read from the answers alone
MAX_TEXT_LENGTH = 20_000  # characters of one text answer read
MAX_ROVER_WORDS = 1000  # longer texts: the most central answer instead of ROVER
MAX_ENTITY_TEXT = 100_000
MAX_ENTITIES = 500  # per answer
MAJORITY = "Majority vote"
TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")


@dataclass
class ItemResult:
    hit_id: str
    field: str
    kind: str
    value: Any  # the aggregated answer, in taskspec's shape for the kind (None: none)
    confidence: float | None  # the method's own: DS posterior, share of votes, ...
    agreement: float | None  # 0..1: how much the workers agree (see the module)
    answers: int  # how many assignments answered it
    method: str = ""  # what gave this item's value, when not the field's method
    note: str = ""  # answers left out, work refused
    label_confidence: dict[str, float] | None = None  # labels: each option's P(kept)
    support: list[float] | None = None  # shapes: each kept shape's share of workers


@dataclass
class BatchAggregate:
    fields: list[tuple[str, str, str]]  # (field, kind, method label) per answering element
    items: dict[str, dict[str, ItemResult]]  # HIT id -> field -> result
    method: str = "dawid_skene"


@dataclass
class _Given:
    worker: str
    value: Any
    size: tuple[int, int] | None = None


# An item: the element as the HIT's row shows it, and each counted answer to it.
Items = dict[str, tuple[TaskElement, list[_Given]]]


def _round(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


# --- label, flag, labels ----------------------------------------------------------------------


def _plurality(counts: Counter, options: list[str]) -> tuple[str, int]:
    """The most given value; a tie goes to the first option, then the first in text order."""
    order = {option: n for n, option in enumerate(options)}
    value = min(counts, key=lambda v: (-counts[v], order.get(v, len(order)), v))
    return value, counts[value]


def _estimate(
    tasks: dict[str, list[tuple[str, str]]], method: str
) -> tuple[dict[str, str], dict[str, float]]:
    """The model's label and confidence per task, fitted on every answer; empty for `majority`,
    when no task has enough answers to need a model, or when the workers answered too few tasks
    each for a model to learn how each one errs (it would then follow the labels' overall
    frequency against the item's own votes), or when the answers hold more distinct labels than
    a form offers options."""
    if method == "majority" or not any(len(v) >= MIN_MODEL_ANSWERS for v in tasks.values()):
        return {}, {}
    distinct = {label for given in tasks.values() for _, label in given}
    if len(distinct) > MAX_OPTIONS:  # free text in a label's clothes: a model would crawl
        return {}, {}
    per_worker = Counter(worker for given in tasks.values() for worker, _ in given)
    if statistics.median(per_worker.values()) < MIN_WORKER_TASKS:
        return {}, {}
    labels = [
        {"task": task, "worker": worker, "label": label}
        for task, given in tasks.items()
        for worker, label in given
    ]
    return labels_estimate(labels, method)


def categorical_consensus(
    tasks: dict[str, list[tuple[str, str]]], options: dict[str, list[str]], method: str
) -> dict[str, tuple[str, float, str, Counter]]:
    """Task -> (label, confidence, method, counts) for tasks with answers."""
    truth, confidence = _estimate(tasks, method)
    out = {}
    for task, given in tasks.items():
        if not given:
            continue
        counts = Counter(label for _, label in given)
        if len(given) >= MIN_MODEL_ANSWERS and task in truth:
            out[task] = (truth[task], confidence.get(task), METHODS[method], counts)
        else:
            label, count = _plurality(counts, options.get(task, []))
            out[task] = (label, count / len(given), MAJORITY, counts)
    return out


def _method_label(method: str, small: bool) -> str:
    if method == "majority":
        return METHODS[method]
    suffix = (
        f", majority vote for items with fewer than {MIN_MODEL_ANSWERS} answers or workers on "
        f"fewer than {MIN_WORKER_TASKS} items"
        if small
        else ""
    )
    return METHODS[method] + suffix


def _label_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    def category(value: Any) -> str:
        if kind == taskspec.FLAG:
            return "true" if value else "false"
        return str(value)[:MAX_LABEL_LENGTH]

    tasks = {
        hit: [(g.worker, category(g.value)) for g in given] for hit, (_, given) in items.items()
    }
    options = {
        hit: (["true", "false"] if kind == taskspec.FLAG else element.options)
        for hit, (element, _) in items.items()
    }
    decided = categorical_consensus(tasks, options, method)
    results = {}
    for hit, (_, given) in items.items():
        if hit not in decided:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        label, confidence, used, counts = decided[hit]
        n = len(given)
        results[hit] = ItemResult(
            hit,
            name,
            kind,
            (label == "true") if kind == taskspec.FLAG else label,
            _round(confidence),
            _round(counts[label] / n) if n >= 2 else None,
            n,
            method=used if used != METHODS[method] else "",
        )
    small = any(r.method == MAJORITY for r in results.values())
    return _method_label(method, small), results


def _labels_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    """Each option a yes/no task over the batch's items (see the module)."""
    declared: dict[str, None] = {}
    for element, _ in items.values():
        declared.update(dict.fromkeys(element.options))
    seen: dict[str, None] = {}
    for _, given in items.values():
        for g in given:
            seen.update(dict.fromkeys(str(v)[:MAX_LABEL_LENGTH] for v in g.value))
    # The template's options are the requester's; options only the answers name are capped
    # lower, since each one is a model to fit.
    all_options = list(declared)[:MAX_OPTIONS] if declared else list(seen)[:MAX_ANSWERED_OPTIONS]
    per_option: dict[str, dict[str, tuple[str, float, str, Counter]]] = {}
    for option in all_options:
        tasks = {
            hit: [(g.worker, "1" if option in g.value else "0") for g in given]
            for hit, (element, given) in items.items()
            if option in (element.options or all_options)
        }
        per_option[option] = categorical_consensus(tasks, {}, method)
    results = {}
    for hit, (element, given) in items.items():
        n = len(given)
        if not n:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        kept, probability, sure, agree, used = [], {}, [], [], set()
        for option in element.options or all_options:
            if hit not in per_option.get(option, {}):
                continue
            label, confidence, how, counts = per_option[option][hit]
            if how == MAJORITY:  # a strict majority: a tie keeps nothing
                yes = counts["1"] / n
                label, confidence = ("1" if yes > 0.5 else "0"), max(yes, 1 - yes)
            p_yes = confidence if label == "1" else 1 - confidence
            probability[option] = round(p_yes, 4)
            sure.append(confidence)
            agree.append(counts[label] / n)
            used.add(how)
            if label == "1":
                kept.append(option)
        results[hit] = ItemResult(
            hit,
            name,
            kind,
            kept,
            _round(float(np.mean(sure))) if sure else None,
            _round(float(np.mean(agree))) if agree and n >= 2 else None,
            n,
            method=MAJORITY if used == {MAJORITY} and method != "majority" else "",
            label_confidence=probability,
        )
    small = any(0 < len(g) < MIN_MODEL_ANSWERS for _, g in items.values())
    return _method_label(method, small) + " per label", results


# --- text ---------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def word_edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two lists of words, one numpy row at a time (an insertion
    is a running minimum along the row)."""
    if not a or not b:
        return max(len(a), len(b))
    vocabulary: dict[str, int] = {}
    left = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in a])
    right = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in b])
    steps = np.arange(len(right) + 1)
    row = steps.copy()
    for i, word in enumerate(left, start=1):
        substituted = row[:-1] + (right != word)
        deleted = row[1:] + 1
        best = np.concatenate([[i], np.minimum(substituted, deleted)])
        row = np.minimum.accumulate(best - steps) + steps
    return int(row[-1])


def text_similarity(a: str, b: str) -> float:
    """1 - the word edit distance over the longer text's words, case folded."""
    left, right = _words(a.casefold()), _words(b.casefold())
    longest = max(len(left), len(right))
    return 1.0 if not longest else 1.0 - word_edit_distance(left, right) / longest


def _rover(texts: list[str]) -> str:
    import pandas as pd
    from crowdkit.aggregation import ROVER

    data = pd.DataFrame(
        {"task": ["t"] * len(texts), "worker": [f"w{n}" for n in range(len(texts))], "text": texts}
    )
    return str(ROVER(tokenizer=_words, detokenizer=" ".join).fit_predict(data).loc["t"])


def text_consensus(texts: list[str]) -> tuple[str, float | None, float | None, str]:
    """(text, confidence, agreement, method) for one item's answers."""
    folded = [" ".join(_words(t)).casefold() for t in texts]
    if len(texts) >= MIN_MODEL_ANSWERS and all(len(_words(t)) <= MAX_ROVER_WORDS for t in texts):
        value, how = _rover([" ".join(_words(t)) for t in texts]), "ROVER"
    elif len(texts) >= MIN_MODEL_ANSWERS:
        # ROVER's alignment grows with the square of the length: the most central answer.
        scores = [sum(text_similarity(t, o) for o in texts) for t in texts]
        value, how = " ".join(_words(texts[int(np.argmax(scores))])), "Most central text"
    else:
        counts = Counter(folded)
        top = max(counts.values())
        first = next(n for n, f in enumerate(folded) if counts[f] == top)
        value, how = " ".join(_words(texts[first])), "Most common text"
    similarities = [text_similarity(t, value) for t in texts]
    if how == "Most common text":
        confidence = sum(f == value.casefold() for f in folded) / len(texts)
    else:
        confidence = float(np.mean(similarities))
    pairs = [
        text_similarity(texts[i], texts[j])
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
    ]
    agreement = float(np.mean(pairs)) if pairs else None
    return value, confidence, agreement, how


def _text_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    results, used = {}, Counter()
    for hit, (_, given) in items.items():
        if not given:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        value, confidence, agreement, how = text_consensus([g.value for g in given])
        used[how] += 1
        results[hit] = ItemResult(
            hit, name, kind, value, _round(confidence), _round(agreement), len(given), method=how
        )
    label = "ROVER with 3 answers or more, else the most common text"
    if used and set(used) == {"Most common text"}:
        label = "Most common text"
    return label, results


# --- number -----------------------------------------------------------------------------------


class _Ranges(HTMLParser):
    """The min..max of every slider and number input of a filled template, by name."""

    DEFAULTS = {"crowd-slider": (0.0, 100.0), "range": (0.0, 100.0)}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ranges: dict[str, tuple[float, float]] = {}

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "").strip()
        kind = tag if tag == "crowd-slider" else a.get("type", "").lower()
        if not name or (
            tag != "crowd-slider" and (tag != "input" or kind not in ("range", "number"))
        ):
            return
        low, high = self.DEFAULTS.get(kind, (None, None))
        try:
            low = float(a["min"]) if a.get("min") else low
            high = float(a["max"]) if a.get("max") else high
        except ValueError:
            return
        if low is not None and high is not None and math.isfinite(high - low) and high > low:
            self.ranges[name] = (low, high)


def number_ranges(template: str, values: dict, kind: str = QuestionKind.HTML) -> dict:
    """Field -> (min, max) of the template's sliders and number inputs (filled with a row)."""
    if kind != QuestionKind.HTML:
        return {}
    reader = _Ranges()
    try:
        reader.feed(templating.fill(template, values, kind=kind))
        reader.close()
    except (AssertionError, ValueError):
        pass
    return reader.ranges


def number_consensus(
    values: list[float], span: tuple[float, float] | None
) -> tuple[float, float | None]:
    """(median, agreement) of one item's numbers (see the module)."""
    array = np.array(values, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        median = float(np.median(array))
        if len(array) < 2:
            return median, None
        q1, q3 = np.percentile(array, [25, 75])
        width = (span[1] - span[0]) if span else float(array.max() - array.min())
        if not width:
            return median, 1.0
        agreement = 1.0 - float(q3 - q1) / width
    return median, (min(1.0, max(0.0, agreement)) if math.isfinite(agreement) else None)


def _number_items(
    name: str, kind: str, items: Items, method: str, span: tuple[float, float] | None
) -> tuple[str, dict]:
    results = {}
    for hit, (_, given) in items.items():
        if not given:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        median, agreement = number_consensus([g.value for g in given], span)
        results[hit] = ItemResult(hit, name, kind, median, None, _round(agreement), len(given))
    return "Median", results


# --- entities ---------------------------------------------------------------------------------


def _span_f1(a: list[dict], b: list[dict]) -> float:
    left = {(e["label"], e["start"], e["end"]) for e in a}
    right = {(e["label"], e["start"], e["end"]) for e in b}
    if not left and not right:
        return 1.0
    return 2 * len(left & right) / (len(left) + len(right))


def _tokens(text: str, limit: int) -> np.ndarray:
    """(start, end) of each word or punctuation mark of the text; each character when the
    text is unknown."""
    if not text:
        return np.stack([np.arange(limit), np.arange(1, limit + 1)], axis=1).reshape(-1, 2)
    found = [(m.start(), m.end()) for m in TOKEN.finditer(text, 0, limit)]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def entities_consensus(
    answers: list[list[dict]], text: str = ""
) -> tuple[list[dict], float | None, float | None]:
    """(spans, confidence, agreement) of one item's workers' entity spans over `text`.

    Each token (word or punctuation mark) takes the label more workers gave it than gave it
    none or any other label; it begins a new span when the token before it has another label,
    or when most of the workers who gave it its label began a span there (two neighbouring
    entities of one label stay two). A span runs from its first token's start to its last
    token's end."""
    limit = len(text) if text else max((e["end"] for a in answers for e in a), default=0)
    limit = min(limit, MAX_ENTITY_TEXT)
    answers = [
        [e for e in a[:MAX_ENTITIES] if e["start"] < limit and e["start"] < e["end"]]
        for a in answers
    ]
    labels = sorted({e["label"] for a in answers for e in a})
    index = {label: n for n, label in enumerate(labels, start=1)}
    tokens = _tokens(text, limit)
    count = len(tokens)
    votes = np.zeros((len(labels) + 1, count), dtype=np.int32)
    begins = np.zeros((len(labels) + 1, count), dtype=np.int32)
    columns = np.arange(count)
    for answer in answers:
        tagged = np.zeros(count, dtype=np.int32)
        first = np.zeros(count, dtype=bool)
        for e in answer:
            lo = np.searchsorted(tokens[:, 0], e["start"], side="left")
            hi = np.searchsorted(tokens[:, 0], e["end"], side="left")
            if lo < hi:
                tagged[lo:hi] = index[e["label"]]
                first[lo:hi] = False
                first[lo] = True
        votes[tagged, columns] += 1
        begins[tagged, columns] += first
    winner = np.zeros(count, dtype=np.int64)
    if labels and count:
        best = np.argmax(votes[1:], axis=0) + 1
        top = votes[best, columns]
        second = np.sort(votes[1:], axis=0)[-2] if len(labels) > 1 else np.zeros(count)
        winner = np.where((top > votes[0]) & (top > second), best, 0)
    spans, shares = [], []
    for t in range(count):
        label = int(winner[t])
        if not label:
            continue
        starts_here = t == 0 or winner[t - 1] != label or begins[label, t] * 2 > votes[label, t]
        if starts_here or not spans:
            spans.append({"label": labels[label - 1], "start": int(tokens[t, 0]), "end": 0})
        spans[-1]["end"] = int(tokens[t, 1])
        shares.append(votes[label, t] / len(answers))
    pairs = [
        _span_f1(answers[i], answers[j])
        for i in range(len(answers))
        for j in range(i + 1, len(answers))
    ]
    confidence = float(np.mean(shares)) if shares else None
    return spans, confidence, (float(np.mean(pairs)) if pairs else None)


def _entity_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    results = {}
    for hit, (element, given) in items.items():
        if not given:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        spans, confidence, agreement = entities_consensus([g.value for g in given], element.text)
        results[hit] = ItemResult(
            hit, name, kind, spans, _round(confidence), _round(agreement), len(given)
        )
    return "Token majority vote", results


# --- shapes and masks -------------------------------------------------------------------------


def _shape_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    results = {}
    for hit, (_, given) in items.items():
        if not given:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        size = shape_consensus.common_size([g.size for g in given])
        found = shape_consensus.shapes_consensus(kind, [g.value for g in given], size)
        results[hit] = ItemResult(
            hit,
            name,
            kind,
            found.shapes,
            found.confidence,
            found.agreement,
            len(given),
            note=found.note,
            support=found.support,
        )
    return shape_consensus.METHOD_LABELS[kind], results


def _mask_items(name: str, kind: str, items: Items, method: str) -> tuple[str, dict]:
    results = {}
    for hit, (_, given) in items.items():
        if not given:
            results[hit] = ItemResult(hit, name, kind, None, None, None, 0)
            continue
        size = shape_consensus.common_size([g.size for g in given])
        found = mask_consensus.masks_consensus(
            kind, [g.value for g in given], method=method, size=size
        )
        results[hit] = ItemResult(
            hit,
            name,
            kind,
            found.value,
            found.confidence,
            found.agreement,
            len(given),
            note=found.note,
        )
    em = "majority" if method == "majority" else "em"
    return mask_consensus.METHOD_LABELS[kind][em], results


_BY_KIND: dict[str, Callable[[str, str, Items, str], tuple[str, dict]]] = {
    taskspec.LABEL: _label_items,
    taskspec.FLAG: _label_items,
    taskspec.LABELS: _labels_items,
    taskspec.TEXT: _text_items,
    taskspec.ENTITIES: _entity_items,
    **dict.fromkeys(taskspec.SHAPES, _shape_items),
    **dict.fromkeys(taskspec.MASKS, _mask_items),
}


# --- the batch --------------------------------------------------------------------------------


def _usable(kind: str, value: Any) -> Any:
    """The answer when it can be aggregated, else None (an answer of no use counts as none)."""
    if value is None:
        return None
    if kind == taskspec.TEXT:
        text = str(value)[:MAX_TEXT_LENGTH]
        return text if text.strip() else None
    if kind == taskspec.NUMBER:
        return value if isinstance(value, float) and math.isfinite(value) else None
    if kind == taskspec.LABEL:
        return str(value)[:MAX_LABEL_LENGTH] or None
    if kind == taskspec.LABELS:
        return list(dict.fromkeys(str(v)[:MAX_LABEL_LENGTH] for v in value[:MAX_OPTIONS]))
    return value


def _fallback_elements(given: dict[str, list]) -> list[TaskElement]:
    """Fields read from the answers' names, for a question that is no HTML template."""
    answer_sets = [
        {k: v for k, v in answers.items() if k != CROWD_FIELD and "." not in k}
        for per_hit in given.values()
        for _, answers, _ in per_hit
    ]
    categorical = set(categorical_fields(answer_sets))
    # In name order: the stored answers keep no order of their own (PostgreSQL's JSON orders
    # keys by length).
    names = sorted({name for answers in answer_sets for name in answers})
    return [
        TaskElement(
            name, "input", taskspec.LABEL if name in categorical else taskspec.TEXT, crowd=False
        )
        for name in names
    ]


def batch_aggregate(batch: Batch, *, method: str = "dawid_skene") -> BatchAggregate:
    """Every HIT's aggregated answer to each answering element of the batch's template, by
    `method` (`dawid_skene`, `mace` or `majority`; see the module for each kind). Every HIT of
    the batch has an entry per field, with `value` None and `answers` 0 when nobody answered;
    a split row is one entry, under its first part's HIT, with the answers of all its parts."""
    method = method if method in METHODS else "dawid_skene"
    props = batch_properties(batch)
    template = props.get("template", "")
    question_kind = props.get("question_kind", QuestionKind.HTML)
    # The HITs of a split row (its parts, apps/batches/splitting.py) ask one task: their answers
    # are one item, under the first part's HIT.
    item_of: dict[str, str] = {}
    first_part: dict[int, str] = {}
    rows = []
    parts = batch.rows.exclude(hit_mturk_id="").order_by("index")
    for hit, values, part, source_row in parts.values_list(
        "hit_mturk_id", "values", "part", "source_row"
    ):
        item_of[hit] = first_part.setdefault(source_row, hit) if part else hit
        if item_of[hit] == hit:
            rows.append((hit, values))
    given: dict[str, list[tuple[str, dict, Any]]] = defaultdict(list)
    assignments = (
        batch_assignments(batch)
        .filter(status__in=COUNTED)
        .order_by("submit_time", "pk")
        .values_list("hit__mturk_id", "worker_id", "answers", "task_answers")
    )
    for hit, worker, answers, task_answers in assignments.iterator(chunk_size=500):
        given[item_of.get(hit, hit)].append(
            (worker, answers if isinstance(answers, dict) else {}, task_answers)
        )
    specs = {
        hit: taskspec.task_spec(template, values or {}, kind=question_kind) for hit, values in rows
    }
    fallback = (
        {}
        if any(s.elements for s in specs.values())
        else {e.name: e for e in _fallback_elements(given)}
    )
    fields: dict[str, str] = {}
    for spec in specs.values():
        for element in spec.elements:
            fields.setdefault(element.name, element.kind)
    for name, element in fallback.items():
        fields.setdefault(name, element.kind)
    ranges = number_ranges(template, rows[0][1] or {}, question_kind) if rows else {}

    aggregate = BatchAggregate(fields=[], items={hit: {} for hit, _ in rows}, method=method)
    for name, kind in fields.items():
        items: Items = {}
        for hit, _ in rows:
            element = specs[hit].element(name) or fallback.get(name)
            if element is None or element.kind != kind:
                element = TaskElement(name, "input", kind, crowd=False)
            answered = []
            for worker, answers, task_answers in given.get(hit, []):
                try:
                    value = _usable(kind, taskspec.answer_value(element, answers, task_answers))
                except (TypeError, ValueError, AttributeError, KeyError):
                    value = None  # an answer of a shape no element gives
                if value is None:
                    continue
                size = None
                if kind in taskspec.SHAPES or kind in taskspec.MASKS:
                    size = taskspec.image_size(task_answers, element)
                answered.append(_Given(worker, value, size))
            items[hit] = (element, answered)
        if kind == taskspec.NUMBER:
            label, results = _number_items(name, kind, items, method, ranges.get(name))
        else:
            label, results = _BY_KIND[kind](name, kind, items, method)
        aggregate.fields.append((name, kind, label))
        for hit, result in results.items():
            aggregate.items[hit][name] = result
    return aggregate
