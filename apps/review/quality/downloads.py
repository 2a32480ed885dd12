"""A batch's aggregated results as files, beside its raw results: CSV (one row per HIT: the
HIT id, the row's inputs, then per field its value, confidence, agreement and number of answers)
and JSON Lines (one object per HIT, each value in its kind's shape). `?method=` chooses the
label method (`dawid_skene`, `mace`, `majority`). Any member of the batch's account may
download them, as the raw results; another account's batch is not found."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from apps.batches.models import Batch
from apps.requesters.access import membership_for
from apps.review.quality.aggregate import BatchAggregate, ItemResult, batch_aggregate
from apps.review.quality.crowd import METHODS
from mturkdash.exports import csv_response


def _batch(request: HttpRequest, pk: int) -> Batch:
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership_for(user=request.user, requester_id=batch.requester_id)
    return batch


def _method(request: HttpRequest) -> str:
    method = request.GET.get("method", "")
    return method if method in METHODS else "dawid_skene"


def _filename(batch: Batch, method: str, suffix: str) -> str:
    return f"{slugify(batch.name) or 'batch'}-{batch.pk}-aggregate-{method}.{suffix}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def value_cell(result: ItemResult | None) -> str:
    """An aggregated value as one CSV cell: labels joined with `|`, a flag true or false,
    shapes, masks and spans as JSON."""
    if result is None or result.value is None:
        return ""
    value = result.value
    if result.kind == "labels":
        return "|".join(value)
    if result.kind == "flag":
        return "true" if value else "false"
    if result.kind == "number":
        return format(value, ".15g")  # 1234567 and 7.5 as written, not 1.23457e+06
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _rows(batch: Batch, aggregate: BatchAggregate) -> Iterator[list]:
    inputs = dict(batch.rows.exclude(hit_mturk_id="").values_list("hit_mturk_id", "values"))
    for hit, fields in aggregate.items.items():
        values = inputs.get(hit) or {}
        cells = [hit, *(values.get(c, "") for c in batch.columns)]
        for name, _, _ in aggregate.fields:
            result = fields.get(name)
            cells += [
                value_cell(result),
                _number(result.confidence) if result else "",
                _number(result.agreement) if result else "",
                result.answers if result else 0,
            ]
        yield cells


def _header(batch: Batch, aggregate: BatchAggregate) -> list[str]:
    header = ["HITId", *(f"Input.{c}" for c in batch.columns)]
    for name, _, _ in aggregate.fields:
        header += [name, f"{name}.confidence", f"{name}.agreement", f"{name}.answers"]
    return header


@require_GET
def aggregate_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    batch, method = _batch(request, pk), _method(request)
    aggregate = batch_aggregate(batch, method=method)
    return csv_response(
        _filename(batch, method, "csv"), _header(batch, aggregate), _rows(batch, aggregate)
    )


def _record(result: ItemResult, method_label: str) -> dict:
    record = {
        "kind": result.kind,
        "value": result.value,
        "confidence": result.confidence,
        "agreement": result.agreement,
        "answers": result.answers,
        "method": result.method or method_label,
    }
    if result.label_confidence is not None:
        record["label_confidence"] = result.label_confidence
    if result.support is not None:
        record["support"] = result.support
    if result.note:
        record["note"] = result.note
    return record


def _lines(batch: Batch, aggregate: BatchAggregate) -> Iterator[str]:
    inputs = dict(batch.rows.exclude(hit_mturk_id="").values_list("hit_mturk_id", "values"))
    labels = {name: label for name, _, label in aggregate.fields}
    for hit, fields in aggregate.items.items():
        values = inputs.get(hit) or {}
        record = {
            "HITId": hit,
            "Input": {c: values.get(c, "") for c in batch.columns},
            "Aggregate": {name: _record(r, labels.get(name, "")) for name, r in fields.items()},
        }
        yield json.dumps(record, ensure_ascii=False, default=str) + "\n"


@require_GET
def aggregate_jsonl(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    batch, method = _batch(request, pk), _method(request)
    aggregate = batch_aggregate(batch, method=method)
    response = StreamingHttpResponse(
        _lines(batch, aggregate), content_type="application/jsonl; charset=utf-8"
    )
    filename = _filename(batch, method, "jsonl")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
