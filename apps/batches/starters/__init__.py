"""The gallery's starter projects: ready-made question templates, each with its HIT properties,
an example CSV and a thumbnail, from which a requester begins a project.

Each starter is a directory of this package named by its slug:

- `starter.toml`: the gallery card (group, name, summary, kind) and the HIT properties, with
  `[gold_fields]` naming the CSV columns that hold the right answers (flattened answer field =
  column), when the task has one right answer;
- `template.html`: the HTMLQuestion body, with `${column}` placeholders;
- `example.csv`: a few realistic rows, media written as `{media}/file.svg`;
- `thumbnail.svg`: the card's picture.

They are read and checked once, at import: a starter with a missing file, an unknown group or
kind, or a property of the wrong type stops the import with its slug named, so a broken starter
never reaches the gallery. `GALLERY` below is the order they are shown in.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

GROUPS = ("Survey", "Vision", "Language", "Other")
# What a starter's answer is, for the gallery's filters and the review cards.
KINDS = (
    "survey",
    "classification",
    "multilabel",
    "tagging",
    "boxes",
    "keypoints",
    "polygons",
    "lines",
    "segmentation",
    "entities",
    "transcription",
    "rating",
    "ab",
    "data",
)
# The hourly rate starters' rewards are suggested from: a worker who takes the expected time
# earns this much an hour.
DEFAULT_HOURLY_RATE = Decimal("12.00")
MEDIA_PLACEHOLDER = "{media}"
MAX_TITLE = 128
CENT = Decimal("0.01")

# In the order of GROUPS, then as a requester would look for them inside a group.
GALLERY = (
    "survey-link",
    "short-survey",
    "image-classification",
    "image-classification-multi",
    "image-tagging",
    "bounding-boxes",
    "keypoints",
    "polygons",
    "semantic-segmentation",
    "instance-segmentation",
    "lane-lines",
    "image-moderation",
    "video-classification",
    "document-classification",
    "sentiment",
    "emotion",
    "text-classification",
    "text-classification-multi",
    "named-entities",
    "text-similarity",
    "translation-quality",
    "ab-preference",
    "search-relevance",
    "audio-transcription",
    "audio-classification",
    "data-collection",
    "receipt-transcription",
)

_HERE = Path(__file__).resolve().parent
_FILES = ("starter.toml", "template.html", "example.csv", "thumbnail.svg")
_TEXT = ("group", "name", "summary", "kind", "title", "description", "keywords")
_NUMBERS = (
    "work_seconds",
    "max_assignments",
    "assignment_duration",
    "lifetime",
    "auto_approval_delay",
    "frame_height",
)


class StarterError(ValueError):
    """A starter directory that cannot be offered: named by its slug."""


@dataclass(frozen=True)
class Starter:
    slug: str
    group: str
    name: str
    summary: str  # one sentence for the gallery card
    kind: str  # one of KINDS
    template: str
    title: str
    description: str
    keywords: str
    work_seconds: int  # expected work time of one assignment
    max_assignments: int
    assignment_duration: int  # seconds
    lifetime: int
    auto_approval_delay: int
    frame_height: int  # 0 = fit
    gold_fields: dict[str, str] = field(default_factory=dict)  # {flattened answer: CSV column}
    example_csv: str = ""  # media URLs written as {media}/file.ext
    thumbnail: str = ""  # SVG markup

    def reward(self, hourly_rate: Decimal = DEFAULT_HOURLY_RATE) -> Decimal:
        """The reward that pays `hourly_rate` for the expected work time, rounded up to the
        cent (a worker is never paid below the rate), and never under MTurk's $0.01."""
        exact = Decimal(self.work_seconds) * Decimal(hourly_rate) / Decimal(3600)
        return max(exact.quantize(CENT, rounding=ROUND_CEILING), CENT)

    def example_csv_text(self, media_base: str) -> str:
        """The example CSV with its media URLs under `media_base` (e.g.
        "http://127.0.0.1:8000/static/starters/media")."""
        return self.example_csv.replace(MEDIA_PLACEHOLDER, media_base.rstrip("/"))

    def example_rows(self, media_base: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.example_csv_text(media_base))))


def _fail(slug: str, problem: str) -> StarterError:
    return StarterError(f"Starter {slug!r}: {problem}")


def _read(slug: str, directory: Path) -> dict[str, str]:
    texts = {}
    for name in _FILES:
        path = directory / name
        if not path.is_file():
            raise _fail(slug, f"{name} is missing from {directory}.")
        texts[name] = path.read_text(encoding="utf-8")
    return texts


def _properties(slug: str, text: str) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(slug, f"starter.toml does not parse: {exc}") from exc
    gold = data.pop("gold_fields", {})
    expected = set(_TEXT) | set(_NUMBERS)
    missing, unknown = expected - set(data), set(data) - expected
    if missing or unknown:
        raise _fail(
            slug,
            f"starter.toml lacks {sorted(missing) or 'nothing'} and has unknown "
            f"{sorted(unknown) or 'nothing'}.",
        )
    for key in _TEXT:
        if not isinstance(data[key], str) or not data[key].strip():
            raise _fail(slug, f"{key} must be a text.")
    for key in _NUMBERS:
        # bool is an int to Python; `true` is never meant as a number of seconds.
        if not isinstance(data[key], int) or isinstance(data[key], bool) or data[key] < 0:
            raise _fail(slug, f"{key} must be a whole number, 0 or more.")
    if not isinstance(gold, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in gold.items()
    ):
        raise _fail(slug, "gold_fields must map answer fields to CSV columns.")
    if data["group"] not in GROUPS:
        raise _fail(slug, f"unknown group {data['group']!r} (one of {', '.join(GROUPS)}).")
    if data["kind"] not in KINDS:
        raise _fail(slug, f"unknown kind {data['kind']!r} (one of {', '.join(KINDS)}).")
    if len(data["title"]) > MAX_TITLE:
        raise _fail(slug, f"the title is longer than MTurk's {MAX_TITLE} characters.")
    if data["work_seconds"] < 1 or data["max_assignments"] < 1:
        raise _fail(slug, "work_seconds and max_assignments must be at least 1.")
    if data["assignment_duration"] <= data["work_seconds"]:
        raise _fail(slug, "assignment_duration must leave more time than the work takes.")
    data["gold_fields"] = dict(gold)
    return data


def _load(slug: str) -> Starter:
    texts = _read(slug, _HERE / slug)
    data = _properties(slug, texts["starter.toml"])
    header = next(csv.reader(io.StringIO(texts["example.csv"])), [])
    absent = sorted(set(data["gold_fields"].values()) - set(header))
    if absent:
        raise _fail(slug, f"gold columns {absent} are not columns of example.csv.")
    return Starter(
        slug=slug,
        template=texts["template.html"],
        example_csv=texts["example.csv"],
        thumbnail=texts["thumbnail.svg"],
        **data,
    )


def _load_all() -> tuple[Starter, ...]:
    found = {path.parent.name for path in _HERE.glob("*/starter.toml")}
    unlisted = sorted(found - set(GALLERY))
    if unlisted:
        raise StarterError(f"Starters {unlisted} are not placed in GALLERY.")
    starters = [_load(slug) for slug in GALLERY]
    order = [GROUPS.index(s.group) for s in starters]
    if order != sorted(order):
        raise StarterError("GALLERY must list the starters group by group, as GROUPS orders them.")
    return tuple(starters)


STARTERS: tuple[Starter, ...] = _load_all()
_BY_SLUG = {starter.slug: starter for starter in STARTERS}


def starter_get(slug: str) -> Starter | None:
    return _BY_SLUG.get(slug)
