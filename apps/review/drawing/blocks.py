"""The blocks a drawing is made of, ready for templates/review/_drawn.html: each names its
partial (`partial`) and holds text and numbers as the template writes them (coordinates already
as SVG attribute values)."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.review.drawing.measures import BoxAgreement, Segment, src_origin


@dataclass
class Who:
    """A worker whose answer is drawn: `key` names their layer within one drawing."""

    key: str
    worker_id: str
    assignment_id: str
    status: str
    own: bool = False
    dash: str = ""
    url: str = ""
    aggregated: bool = False  # not a worker: the answer aggregated from theirs


AGGREGATED = Who("agg", "Aggregated", "", "", aggregated=True)


@dataclass
class Shape:
    tag: str  # rect | circle | polyline | polygon
    label: str
    colour: str
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    r: str = ""
    points: str = ""
    text_x: str = ""
    text_y: str = ""


@dataclass
class Layer:
    who: Who
    shapes: list[Shape] = field(default_factory=list)
    mask: str = ""  # the worker's painted PNG as a data URI
    on: bool = True


@dataclass
class LegendItem:
    label: str
    colour: str
    index: int = 0


@dataclass
class Figure:
    """Shapes or masks over an image, a layer per worker."""

    partial: str  # "shapes" | "mask"
    name: str
    header: str
    kind: str
    image: str
    width: int
    height: int
    layers: list[Layer]
    legend: list[LegendItem]
    agreement: BoxAgreement | None = None
    font: str = "16"
    stroke: str = "2"
    radius: str = "5"

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def toggles(self) -> bool:
        return len(self.layers) > 1

    @property
    def empty(self) -> bool:
        return not any(layer.shapes or layer.mask for layer in self.layers)

    @property
    def opacity_percent(self) -> int:
        """Each mask's starting opacity: the masks shown over each other cover about 60%."""
        shown = sum(1 for layer in self.layers if layer.mask and layer.on) or 1
        return round(100 * (1 - 0.4 ** (1 / shown)))

    @property
    def opacity(self) -> str:
        return f"{self.opacity_percent / 100:g}"


@dataclass
class EntityLine:
    who: Who
    segments: list[Segment]
    dropped: int = 0
    answered: bool = True


@dataclass
class Entities:
    name: str
    header: str
    lines: list[EntityLine]
    legend: list[LegendItem]
    partial: str = "entities"


@dataclass
class Option:
    label: str
    index: int
    listed: bool = True  # one of the element's options (a worker may send another)
    chosen_by: list[Who] = field(default_factory=list)

    @property
    def chosen(self) -> bool:
        return bool(self.chosen_by)

    @property
    def count(self) -> int:
        return len(self.chosen_by)


@dataclass
class Choice:
    name: str
    header: str
    image: str
    options: list[Option]
    answered: int
    agreement: float | None = None
    voters: int = 1  # the workers drawn: past one, each option says how many chose it
    partial: str = "choice"

    @property
    def agreement_percent(self) -> int | None:
        return None if self.agreement is None else round(self.agreement * 100)


@dataclass
class Side:
    option: str
    column: str
    text: str
    chosen_by: list[Who] = field(default_factory=list)

    @property
    def chosen(self) -> bool:
        return bool(self.chosen_by)


@dataclass
class AB:
    name: str
    header: str
    sides: list[Side]
    others: list[Option]  # "tie", "same", or a label of no side
    agreement: float | None = None
    voters: int = 1
    partial: str = "ab"

    @property
    def agreement_percent(self) -> int | None:
        return None if self.agreement is None else round(self.agreement * 100)


@dataclass
class Cell:
    who: Who
    text: str = ""
    options: list[tuple[str, bool]] | None = None  # a categorical answer: (option, chosen)
    answered: bool = True


@dataclass
class Row:
    question: str
    name: str
    cells: list[Cell]


@dataclass
class Table:
    rows: list[Row]
    workers: list[Who]
    partial: str = "table"


@dataclass
class Media:
    tag: str  # audio | video
    src: str


@dataclass
class Transcript:
    media: list[Media]
    rows: list[Row]
    workers: list[Who]
    partial: str = "transcript"


@dataclass
class Summary:
    """One field's aggregated answer, in words."""

    name: str
    question: str
    kind: str
    text: str
    confidence: int | None  # percent
    agreement: int | None  # percent
    answers: int = 0
    method: str = ""


@dataclass
class Drawing:
    blocks: list
    workers: list[Who]
    sources: list[str] = field(default_factory=list)  # every image and media address drawn
    aggregate: list[Summary] = field(default_factory=list)

    @property
    def origins(self) -> set[str]:
        """The origins a page must let load images and media for this drawing."""
        return {o for o in (src_origin(s) for s in self.sources) if o}
