"""Agreement among the assignments of one HIT.

For every answer field with a categorical value (a short answer most workers repeat exactly, not
free text), the majority answer is the value more than half of the HIT's assignments gave. An
assignment's agreement is the share of such fields where it gave the majority answer. Kept on the
assignment as answers arrive, so the review queue can filter and sort on it.
"""

from __future__ import annotations

from collections import Counter

from apps.hits.models import HIT, Assignment

MAX_CATEGORY_LENGTH = 100


def _value(answer) -> str | None:
    if isinstance(answer, list):
        answer = "|".join(sorted(str(a) for a in answer))
    text = str(answer).strip()
    if not text or len(text) > MAX_CATEGORY_LENGTH:
        return None
    return text.casefold()


def majority_answers(answer_sets: list[dict]) -> dict[str, str]:
    """Field -> the value more than half of the answer sets gave (only fields that have one)."""
    majorities = {}
    fields = {f for answers in answer_sets for f in answers}
    for field in fields:
        values = [
            v for v in (_value(answers.get(field, "")) for answers in answer_sets) if v is not None
        ]
        if len(values) < 2:
            continue
        value, count = Counter(values).most_common(1)[0]
        if count * 2 > len(answer_sets):
            majorities[field] = value
    return majorities


def agreement_assign(assignments: list[Assignment]) -> list[Assignment]:
    """Set `agreement` on all the assignments of one HIT (in memory); returns those it changed."""
    majorities = majority_answers([a.answers for a in assignments]) if len(assignments) > 1 else {}
    changed = []
    for assignment in assignments:
        if not majorities:
            score = None
        else:
            matches = sum(
                1 for f, v in majorities.items() if _value(assignment.answers.get(f, "")) == v
            )
            score = round(matches / len(majorities), 4)
        if score != assignment.agreement:
            assignment.agreement = score
            changed.append(assignment)
    return changed


def agreement_refresh(hit: HIT) -> None:
    """Recompute and store the agreement of every assignment of the HIT."""
    assignments = list(Assignment.objects.filter(hit=hit).only("pk", "answers", "agreement"))
    changed = agreement_assign(assignments)
    if changed:
        Assignment.objects.bulk_update(changed, ["agreement"])
