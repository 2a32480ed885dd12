"""The simulated crowd: workers who accept, answer, return and abandon HITs on their own.

`crowd_work(plan)` (behind `POST /_emulator/crowd/work`) lets up to `plan.assignments`
simulated workers act on the HITs named by the plan. Each worker has a stable id derived from
its profile and number (`ACROWDDIL0001`, ...), is created on first use, and goes through the same
worker actions as a person on the worker site, so every API rule (requirements, blocks, one
assignment per worker per HIT, availability) applies.

Answers come from the question itself (`answer_fields`): a profile's accuracy is the chance of
giving the HIT's truth for each field. The truth is set with `POST /_emulator/crowd/truth`, or
drawn from the question's options deterministically (a hash of the question and the field).
Crowd HTML Elements whose answer is an object (shapes, segmentation, entities, sliders...) are
answered by `elements`, in their documented output shapes, with the same accuracy.
All random draws come from generators seeded with `(seed, HIT position in the plan, worker
slot)`, so the same seed on HITs with the same questions gives the same workers the same answers
and the same work times.

HITs of survey-link studies: the worker follows a link to one of this local MTurk's surveys,
takes it and types its completion code in the code box, honestly with the profile's accuracy
(see `survey_links`).

Work time: a worker who submits "accepted" `work seconds` before now (never before the HIT was
created, never past its deadline), so the assignment's AcceptTime/SubmitTime show a plausible
duration without moving the clock. Abandoning workers keep the assignment until its deadline,
when the clock abandons it (AssignmentAbandoned).

`background_crowd_loop` is the `EMULATOR_CROWD=on` crowd of `make run`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import close_old_connections, transaction

from ..engine import clock, lifecycle
from ..models import HIT, Assignment, CrowdTruth
from .actions import WorkerActionError, assignment_return, assignment_submit, hit_accept
from .answer_fields import AnswerField, QuestionShape, answers_document, question_shape
from .elements import element_answer, element_truth
from .survey_links import survey_link_answer

logger = logging.getLogger(__name__)


class CrowdError(Exception):
    def __init__(self, message: str, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Profile:
    accuracy: float
    # Work time: log-normal around `median_seconds` (sigma 0.5).
    median_seconds: float
    # Answers ignore the question entirely (picks at random, types filler text).
    random_answers: bool = False


PROFILES: dict[str, Profile] = {
    "diligent": Profile(accuracy=0.95, median_seconds=90),
    "average": Profile(accuracy=0.8, median_seconds=45),
    "careless": Profile(accuracy=0.55, median_seconds=15),
    "spammer": Profile(accuracy=0.0, median_seconds=4, random_answers=True),
}
FILLER_WORDS = ["good", "ok", "yes", "nice", "done", "fine", "n/a", "asdf"]
# How many workers of a profile are tried for one HIT before giving up on it.
MAX_WORKERS_PER_HIT = 200


@dataclass(frozen=True)
class CrowdPlan:
    hit_ids: list[str] | None
    hit_type_id: str | None
    assignments: int
    profile: str
    return_rate: float
    abandon_rate: float
    seed: str
    # ExternalQuestion: field name -> options ([] = free text).
    external_fields: dict[str, list[str]]
    # Overrides the profile's accuracy (1.0: every worker honest and right).
    accuracy: float | None = None

    @property
    def worker_profile(self) -> Profile:
        profile = PROFILES[self.profile]
        return profile if self.accuracy is None else replace(profile, accuracy=self.accuracy)

    @classmethod
    def from_request(cls, data: dict) -> CrowdPlan:
        """Validate a `/_emulator/crowd/work` body; ValueError says what is wrong."""
        hit_ids = data.get("HITIds")
        if hit_ids is not None and (
            not isinstance(hit_ids, list) or not all(isinstance(h, str) for h in hit_ids)
        ):
            raise ValueError("HITIds must be a list of HIT ids or null")
        hit_type_id = data.get("HITTypeId")
        if hit_type_id is not None and not isinstance(hit_type_id, str):
            raise ValueError("HITTypeId must be a string or null")
        count = data.get("assignments", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
            raise ValueError("assignments must be an integer from 1 to 10000")
        profile = data.get("profile", "average")
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        rates = {}
        for key in ("return_rate", "abandon_rate"):
            value = data.get(key, 0) or 0
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{key} must be between 0 and 1")
            rates[key] = float(value)
        if rates["return_rate"] + rates["abandon_rate"] > 1:
            raise ValueError("return_rate + abandon_rate must not exceed 1")
        accuracy = data.get("accuracy")
        if accuracy is not None and (
            isinstance(accuracy, bool)
            or not isinstance(accuracy, int | float)
            or not 0 <= accuracy <= 1
        ):
            raise ValueError("accuracy must be between 0 and 1 (or null: the profile's)")
        fields = data.get("fields") or {}
        if isinstance(fields, list):
            fields = {name: [] for name in fields}
        if not isinstance(fields, dict) or not all(
            isinstance(k, str) and isinstance(v, list) for k, v in fields.items()
        ):
            raise ValueError('fields must be ["name", ...] or {"name": ["option", ...]}')
        return cls(
            hit_ids=hit_ids,
            hit_type_id=hit_type_id,
            assignments=count,
            profile=profile,
            return_rate=rates["return_rate"],
            abandon_rate=rates["abandon_rate"],
            seed=str(data.get("seed", 0)),
            external_fields={k: [str(o) for o in v] for k, v in fields.items()},
            accuracy=None if accuracy is None else float(accuracy),
        )


def crowd_worker_id(profile: str, number: int) -> str:
    return f"ACROWD{profile[:3].upper()}{number:04d}"


def _hits_for(plan: CrowdPlan) -> list[HIT]:
    query = HIT.objects.select_related("hit_type").filter(deleted=False).order_by("pk")
    if plan.hit_ids is not None:
        found = {hit.hit_id: hit for hit in query.filter(hit_id__in=plan.hit_ids)}
        missing = [hit_id for hit_id in plan.hit_ids if hit_id not in found]
        if missing:
            raise CrowdError(f"no such HIT: {', '.join(missing)}", "HITDoesNotExist")
        return [found[hit_id] for hit_id in plan.hit_ids]
    query = query.filter(status=HIT.Status.ASSIGNABLE)
    if plan.hit_type_id is not None:
        query = query.filter(hit_type__hit_type_id=plan.hit_type_id)
    return list(query[:1000])


def _stable_choice(options: list[str], *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return options[int.from_bytes(digest[:4]) % len(options)]


def truth_for(hit: HIT, shape: QuestionShape, external: dict[str, list[str]]) -> dict:
    """Field -> list of right values: the stored truth, else drawn from the options."""
    stored = CrowdTruth.objects.filter(hit=hit).values_list("answers", flat=True).first() or {}
    truth: dict[str, list[str]] = {}
    for item in _fields_of(shape, external):
        if item.name in stored and item.kind == "element":
            value = element_truth(item.crowd, item.attributes, stored[item.name])
            truth[item.name] = [value]
        elif item.name in stored:
            value = stored[item.name]
            if item.crowd == "crowd-classifier":
                # Given in the element's own output shape, {"label": ...}, or as the label.
                value = [v.get("label", "") if isinstance(v, dict) else v for v in value]
            truth[item.name] = [
                v if isinstance(v, str) else json.dumps(v)
                for v in (value if isinstance(value, list) else [value])
            ]
        elif item.kind == "hidden":
            continue
        elif item.kind == "element":
            truth[item.name] = [
                element_truth(item.crowd, item.attributes, None, hit.question, item.name)
            ]
            continue
        elif item.is_choice:
            truth[item.name] = [_stable_choice(item.options, hit.question, item.name)]
        elif item.kind == "number":
            low = int(item.minimum if item.minimum is not None else 0)
            high = int(item.maximum if item.maximum is not None else 100)
            span = [str(n) for n in range(low, max(low, high) + 1)][:1000]
            truth[item.name] = [_stable_choice(span, hit.question, item.name)]
        elif item.kind != "file":
            truth[item.name] = [_stable_choice(FILLER_WORDS[:6], hit.question, item.name)]
    return truth


def _fields_of(shape: QuestionShape, external: dict[str, list[str]]) -> list[AnswerField]:
    if shape.kind == "ExternalQuestion":
        return [
            AnswerField(name=name, kind="radio" if options else "text", options=options)
            for name, options in external.items()
        ]
    return shape.fields


def _wrong(item: AnswerField, right: list[str], rng: random.Random) -> list[str]:
    others = [option for option in item.options if option not in right]
    if item.kind == "checkbox" and not others:
        return []  # the box left unticked
    if item.is_choice:
        return [rng.choice(others)] if others else list(right)
    if item.kind == "number":
        low = item.minimum if item.minimum is not None else 0
        high = item.maximum if item.maximum is not None else 100
        value = str(rng.randint(int(low), int(max(low, high))))
        return [value] if [value] != right else [str(int(low))]
    return [rng.choice(FILLER_WORDS)]


def answers_for(
    *,
    shape: QuestionShape,
    truth: dict[str, list[str]],
    profile: Profile,
    rng: random.Random,
    external: dict[str, list[str]],
) -> dict[str, list[str]]:
    """One worker's answers: the truth with the profile's accuracy per field, else a wrong one."""
    values: dict[str, list[str]] = {}
    for item in _fields_of(shape, external):
        if item.kind in {"hidden", "file"}:
            continue
        right = truth.get(item.name, [])
        if item.kind == "element":
            answer = element_answer(
                item.crowd,
                item.attributes,
                right[0] if right else None,
                accuracy=profile.accuracy,
                spam=profile.random_answers,
                rng=rng,
            )
            values[item.name] = [json.dumps(answer, separators=(",", ":"))]
        elif profile.random_answers and item.kind == "checkbox":
            values[item.name] = [option for option in item.options if rng.random() < 0.5]
        elif profile.random_answers:
            values[item.name] = (
                [rng.choice(item.options)] if item.is_choice else [rng.choice(FILLER_WORDS)]
            )
        elif right and rng.random() < profile.accuracy:
            values[item.name] = list(right)
        else:
            values[item.name] = _wrong(item, right, rng)
    return values


def _work_seconds(profile: Profile, rng: random.Random) -> float:
    return max(2.0, rng.lognormvariate(0, 0.5) * profile.median_seconds)


def truth_set(*, hit_id: str, answers: dict) -> dict:
    hit = HIT.objects.filter(hit_id=hit_id).first()
    if hit is None:
        raise CrowdError(f"no such HIT: {hit_id}", "HITDoesNotExist")
    clean = {name: value if isinstance(value, list) else [value] for name, value in answers.items()}
    CrowdTruth.objects.update_or_create(hit=hit, defaults={"answers": clean})
    return {"HITId": hit_id, "Answers": clean}


def _accept_with_some_worker(
    hit: HIT, plan: CrowdPlan, now: datetime, start: int
) -> tuple[Assignment, str, int] | None:
    """The first crowd worker (from number `start`) allowed to take the HIT."""
    for number in range(start, start + MAX_WORKERS_PER_HIT):
        worker_id = crowd_worker_id(plan.profile, number)
        try:
            return hit_accept(worker_id=worker_id, hit_id=hit.hit_id, now=now), worker_id, number
        except WorkerActionError as exc:
            if exc.code in {"NothingAvailable", "HITDoesNotExist"}:
                return None
    return None


def _submit(assignment: Assignment, answer_xml: str, work: float, now: datetime) -> None:
    """Submit, with the accept time moved back by the work time (see the module doc)."""
    hit = assignment.hit
    duration = hit.hit_type.assignment_duration
    work = min(work, duration * 0.9)
    accepted = max(hit.created_at, now - timedelta(seconds=work))
    with transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ACCEPTED).update(
            accept_time=accepted, deadline=accepted + timedelta(seconds=duration)
        )
    assignment_submit(assignment_id=assignment.assignment_id, now=now, answer_xml=answer_xml)


def crowd_work(plan: CrowdPlan, *, now: datetime) -> dict:
    """Let simulated workers act on up to `plan.assignments` assignments; report each action."""
    hits = _hits_for(plan)
    profile = plan.worker_profile
    actions: list[dict] = []
    shapes: dict[int, tuple[QuestionShape, dict]] = {}
    slots = dict.fromkeys(range(len(hits)), 0)
    next_worker = dict.fromkeys(range(len(hits)), 1)
    open_hits = list(range(len(hits)))
    while len(actions) < plan.assignments and open_hits:
        for position in list(open_hits):
            if len(actions) >= plan.assignments:
                break
            hit = hits[position]
            taken = _accept_with_some_worker(hit, plan, now, next_worker[position])
            if taken is None:
                open_hits.remove(position)
                continue
            assignment, worker_id, number = taken
            next_worker[position] = number + 1
            slot = slots[position]
            slots[position] += 1
            rng = random.Random(f"{plan.seed}:{plan.profile}:{position}:{slot}")
            action = _act(assignment, hit, plan, profile, rng, shapes, position, now)
            actions.append(
                {
                    "HITId": hit.hit_id,
                    "WorkerId": worker_id,
                    "AssignmentId": assignment.assignment_id,
                }
                | action
            )
    lifecycle.run_due_if_needed(now)
    return {
        "Actions": actions,
        "Submitted": sum(1 for a in actions if a["Action"] == "Submitted"),
        "Returned": sum(1 for a in actions if a["Action"] == "Returned"),
        "Abandoned": sum(1 for a in actions if a["Action"] == "Abandoning"),
    }


def _act(
    assignment: Assignment,
    hit: HIT,
    plan: CrowdPlan,
    profile: Profile,
    rng: random.Random,
    shapes: dict[int, tuple[QuestionShape, dict]],
    position: int,
    now: datetime,
) -> dict:
    draw = rng.random()
    if draw < plan.return_rate:
        assignment_return(assignment_id=assignment.assignment_id, now=now)
        return {"Action": "Returned"}
    if draw < plan.return_rate + plan.abandon_rate:
        return {"Action": "Abandoning", "Deadline": clock.iso(assignment.deadline)}
    if position not in shapes:
        shape = question_shape(hit.question)
        shapes[position] = (shape, truth_for(hit, shape, plan.external_fields))
    shape, truth = shapes[position]
    values = answers_for(
        shape=shape, truth=truth, profile=profile, rng=rng, external=plan.external_fields
    )
    work = _work_seconds(profile, rng)
    survey = survey_link_answer(
        shape=shape,
        values=values,
        assignment=assignment,
        accuracy=profile.accuracy,
        spammer=profile.random_answers,
        rng=rng,
        now=now,
    )
    _submit(assignment, answers_document(shape, values), work, now)
    done = {"Action": "Submitted", "Answers": values, "WorkSeconds": round(work, 1)}
    return done if survey is None else done | {"Survey": survey}


# ---------------------------------------------------------------------------------------------
# The background crowd of `make run`

BACKGROUND_MIX = ["diligent"] * 4 + ["average"] * 4 + ["careless"] * 2 + ["spammer"]


def background_crowd_step(workers: int, rng: random.Random) -> dict | None:
    """One worker of the background crowd takes one available assignment, if there is one."""
    now = clock.now()
    lifecycle.run_due_if_needed(now)
    candidates = list(
        HIT.objects.filter(status=HIT.Status.ASSIGNABLE, deleted=False, expiration__gt=now)
        .order_by("pk")
        .values_list("hit_id", flat=True)[:200]
    )
    if not candidates:
        return None
    hit_id = rng.choice(candidates)
    profile = rng.choice(BACKGROUND_MIX)
    plan = CrowdPlan(
        hit_ids=[hit_id],
        hit_type_id=None,
        assignments=1,
        profile=profile,
        return_rate=0.05,
        abandon_rate=0.02,
        seed=str(rng.random()),
        external_fields={"answer": []},
    )
    # Start at a random member so work spreads over the whole crowd.
    hit = HIT.objects.select_related("hit_type").get(hit_id=hit_id)
    taken = _accept_with_some_worker(hit, plan, now, rng.randint(1, max(1, workers)))
    if taken is None:
        return None
    assignment, worker_id, _ = taken
    action = _act(assignment, hit, plan, PROFILES[profile], rng, {}, 0, now)
    return {"HITId": hit_id, "WorkerId": worker_id} | action


def background_crowd_loop(workers: int, interval: float) -> None:
    """`EMULATOR_CROWD=on`: every `interval` seconds one of `workers` simulated workers acts."""
    rng = random.Random()
    while True:
        time.sleep(interval)
        try:
            background_crowd_step(workers, rng)
        except Exception:
            logger.exception("the background crowd failed; it will try again")
        finally:
            close_old_connections()
