"""Reads for the study pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from apps.qualifications.models import QualificationScore
from apps.studies.models import CodeCheck, CodeMode, Study, Verdict
from apps.studies.services import study_assignments


@dataclass
class StudySummary:
    participants: int
    verdicts: dict[str, int] = field(default_factory=dict)
    codes_left: int | None = None
    codes_total: int | None = None
    group_size: int = 0

    @property
    def set_aside(self) -> int:
        return sum(n for verdict, n in self.verdicts.items() if verdict != Verdict.VALID)


def study_summary(study: Study) -> StudySummary:
    counts = dict(
        CodeCheck.objects.filter(study=study)
        .values_list("verdict")
        .annotate(n=Count("pk"))
        .values_list("verdict", "n")
    )
    summary = StudySummary(
        participants=study_assignments(study).values("worker_id").distinct().count(),
        verdicts={verdict: counts.get(verdict, 0) for verdict in Verdict.values},
    )
    if study.code_mode == CodeMode.LIST:
        summary.codes_total = study.codes.count()
        summary.codes_left = study.codes.filter(used_by__isnull=True).count()
    if study.exclusion_group_id:
        summary.group_size = QualificationScore.objects.filter(
            qualification_type_id=study.exclusion_group_id, status="Granted"
        ).count()
    return summary


def set_aside(study: Study, limit: int = 50):
    """The latest checks that wait for a person: invalid, reused or missing codes."""
    return (
        CodeCheck.objects.filter(study=study)
        .exclude(verdict=Verdict.VALID)
        .select_related("assignment")
        .order_by("-checked_at")[:limit]
    )
