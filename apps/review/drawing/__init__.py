"""Answers drawn as a person checks them: a batch HIT's task (`apps.batches.taskspec`) and its
workers' answers turned into blocks a template draws, one per kind of element.

- shapes (boxes, keypoints, lines, polylines, polygons): the image with an SVG overlay in the
  image's own pixels, a layer per worker, a colour per label, and the boxes' agreement;
- masks (semantic, instance): the image with each worker's painted PNG over it, and a legend;
- entities: the text with each labelled span marked;
- a transcript: the audio or video beside the text answers;
- A/B: both outputs side by side, the chosen one marked;
- choices (classifiers): the chosen labels among the element's options;
- everything else: a table of questions and answers.

`assignment_drawing` makes a review card's (the worker's own answer, plus the other workers'
shapes and masks as layers), `hit_drawing` a results page's (every worker alike). Both read the
task with a `SpecCache`, so a page parses a row's template once however many assignments it
shows. None means "no drawing": the HIT is not from a batch, or its template asks nothing we
read; the card then lists the answer fields as before.

Everything here is attacker input (the row is the requester's, answers the worker's): it is
only ever handed to templates, which escape it; numbers are checked finite before they reach an
SVG attribute, colours are checked `#rrggbb`, and images are drawn only from addresses a page
may load (`safe_src`), whose origins `media_policy` adds to the page's policy.

`measures` holds the pure parts (palette, addresses, box agreement, A/B, entity spans),
`blocks` the view model's dataclasses, `build` the drawings made of them.
"""

from apps.review.drawing.blocks import (
    AB,
    AGGREGATED,
    Cell,
    Choice,
    Drawing,
    Entities,
    EntityLine,
    Figure,
    Layer,
    LegendItem,
    Media,
    Option,
    Row,
    Shape,
    Side,
    Summary,
    Table,
    Transcript,
    Who,
)
from apps.review.drawing.build import (
    CHOICE_TAGS,
    DASHES,
    DEFAULT_SIZE,
    SHOWN,
    SpecCache,
    aggregate_add,
    assignment_drawing,
    batch_row,
    hit_drawing,
    media_policy,
    needs_layers,
    task_drawing,
    workers_of,
)
from apps.review.drawing.measures import (
    MATCH_IOU,
    PALETTE,
    BoxAgreement,
    Segment,
    ab_columns,
    box_agreement,
    box_iou,
    boxes_matched,
    colour,
    entity_segments,
    label_colours,
    majority_share,
    safe_colour,
    safe_src,
    src_origin,
)

__all__ = [
    "AB", "AGGREGATED", "CHOICE_TAGS", "DASHES", "DEFAULT_SIZE", "MATCH_IOU", "PALETTE",
    "SHOWN", "BoxAgreement", "Cell", "Choice", "Drawing", "Entities", "EntityLine", "Figure",
    "Layer", "LegendItem", "Media", "Option", "Row", "Segment", "Shape", "Side", "SpecCache",
    "Summary", "Table", "Transcript", "Who", "ab_columns", "aggregate_add",
    "assignment_drawing", "batch_row", "box_agreement", "box_iou", "boxes_matched", "colour",
    "entity_segments", "hit_drawing", "label_colours", "majority_share", "media_policy",
    "needs_layers", "safe_colour", "safe_src", "src_origin", "task_drawing", "workers_of",
]  # fmt: skip
