"""`{% load requirements %}`: qualification requirements by name on any page
(`{{ requirements|requirement_labels:requester }}`, `{{ requirement|requirement_label:requester }}`).
"""

from __future__ import annotations

from django import template

from apps.qualifications.requirements import (
    requirement_label as _requirement_label,
)
from apps.qualifications.requirements import (
    requirement_names,
    requirements_labels,
)

register = template.Library()


@register.filter
def requirement_labels(requirements, requester) -> list[str]:
    return requirements_labels(list(requirements or []), requester=requester)


@register.filter
def requirement_label(requirement, requester) -> str:
    if not requirement:
        return ""
    return _requirement_label(requirement, names=requirement_names(requester))
