"""The batch page's "Who may take it" card: the batch's split rows and per-worker cap, with how
many workers each has kept out so far."""

from __future__ import annotations

from django import template
from django.db.models import Count, Q

from apps.batches.models import Batch
from apps.qualifications.models import BatchGuard, GuardKind

register = template.Library()


@register.inclusion_tag("batches/_guards.html")
def batch_guards(batch: Batch) -> dict:
    guards = list(
        BatchGuard.objects.filter(batch=batch)
        .select_related("qualification_type")
        .annotate(
            kept_out=Count(
                "qualification_type__scores",
                filter=Q(qualification_type__scores__status="Granted"),
            )
        )
        .order_by("kind", "row_index")
    )
    cap = next((g for g in guards if g.kind == GuardKind.CAP), None)
    siblings = [g for g in guards if g.kind == GuardKind.SIBLINGS]
    parts = batch.rows.filter(part__gt=0).count() if siblings else 0
    props = batch.launch_properties or {}
    return {
        "batch": batch,
        "cap": cap,
        "siblings": siblings,
        "sibling_workers": sum(g.kept_out for g in siblings),
        "parts": parts,
        "per_row": props.get("max_assignments"),
        "shown": bool(guards),
    }
