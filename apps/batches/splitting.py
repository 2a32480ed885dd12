"""Micro-batches: a row that asks for 10 or more assignments is published as several HITs of at
most 9, its parts.

MTurk takes a further 20% of the reward on HITs with 10 or more assignments, so 300 responses
to one survey cost 40% in fees as one HIT and 20% as 34 HITs of at most 9. A worker may take
each HIT once but any number of HITs, so the parts of one row are kept apart by a sibling
qualification (`apps.qualifications.guards`): a worker's first assignment of the row grants it,
and every part requires it to be absent.

The parts are made on the first launch, before any row has a token: each part is a BatchRow of
its own (its own index, hence its own UniqueRequestToken), sharing the row's `source_row` and
`values`, numbered by `part` from 1, with its own `assignments`.
"""

from __future__ import annotations

from apps.batches.models import Batch, BatchRow
from apps.mturk.fees import LARGE_BATCH_ASSIGNMENTS

MAX_PER_PART = LARGE_BATCH_ASSIGNMENTS - 1
# Each split row gets a qualification type and a HIT type of its own: past this many split rows
# a batch would fill the account's qualification types; such a batch is refused, with the way out.
MAX_SPLIT_ROWS = 100


def part_sizes(assignments: int, *, split: bool = True) -> list[int]:
    """The assignments of each HIT a row asking for `assignments` is published as: one HIT when
    it fits under the large-HIT fee (or splitting is off), else as few parts of at most 9 as
    can hold them, as even as can be (300 -> 28 of 9 and 6 of 8)."""
    if not split or assignments < LARGE_BATCH_ASSIGNMENTS:
        return [assignments]
    parts = -(-assignments // MAX_PER_PART)
    small, extra = divmod(assignments, parts)
    return [small + 1] * extra + [small] * (parts - extra)


def rows_assignments(batch: Batch, props: dict) -> int:
    """Assignments each CSV row of the batch asks for (the launch properties carry the batch's
    own number when it has one)."""
    return props["max_assignments"]


def batch_splits(batch: Batch, props: dict) -> bool:
    return bool(props.get("split", True)) and rows_assignments(batch, props) >= (
        LARGE_BATCH_ASSIGNMENTS
    )


def split_refusal(batch: Batch, props: dict) -> str:
    """Why the batch cannot be split ("" when it can, or need not be)."""
    if batch_splits(batch, props) and batch.row_count > MAX_SPLIT_ROWS:
        return (
            f"{batch.row_count:,} rows each asking for {rows_assignments(batch, props)} "
            f"assignments would be published as HITs of at most {MAX_PER_PART}, with a sibling "
            f"qualification per row; a batch can split at most {MAX_SPLIT_ROWS} rows. Split the "
            "CSV into several batches, ask for at most 9 assignments per row, or turn off "
            "'Publish 10 or more assignments as HITs of at most 9' on the project."
        )
    return ""


def batch_rows_split(batch: Batch, props: dict) -> int:
    """Replace each row by its parts, once, before the first launch; returns the HIT count.

    Called in the launch's transaction while no row has a token, so renumbering is safe; a
    batch already split (or with nothing to split) is left as it is.
    """
    rows = BatchRow.objects.filter(batch=batch)
    if not batch_splits(batch, props) or rows.filter(part__gt=0).exists():
        return rows.count()
    sizes = part_sizes(rows_assignments(batch, props))
    originals = list(rows.order_by("index").values("index", "source_row", "values"))
    rows.delete()
    parts = []
    for original in originals:
        for number, size in enumerate(sizes, start=1):
            parts.append(
                BatchRow(
                    batch=batch,
                    index=len(parts),
                    source_row=original["source_row"],
                    values=original["values"],
                    part=number,
                    assignments=size,
                )
            )
    BatchRow.objects.bulk_create(parts, batch_size=1000)
    return len(parts)
