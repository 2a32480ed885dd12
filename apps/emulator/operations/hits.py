"""HIT types and HITs: create, read, list, change expiry, type, review status, assignments;
delete."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from ..engine.accounts import customer_cache
from ..engine.lifecycle import due_at, event_emit, hit_dispose, hit_lock, hit_refresh
from ..models import HIT, Assignment, HITLayout, HITType
from ..wire import errors
from ..wire.ids import new_id
from . import constraints, questions
from .common import (
    hit_dict,
    hit_get,
    hit_page,
    hit_type_get,
    qualification_type_get,
    token_find,
    token_store,
)
from .context import Context
from .policies import ASSIGNMENT_REVIEW_POLICIES, HIT_REVIEW_POLICIES, policy_clean
from .requirements import requirements_clean


def _hit_type_properties(ctx: Context, params: dict) -> dict[str, Any]:
    return {
        "title": constraints.text(params.get("Title"), "Title", required=True),
        "description": constraints.text(params.get("Description"), "Description", required=True),
        "keywords": constraints.text(params.get("Keywords"), "Keywords"),
        "reward": constraints.money_amount(
            params["Reward"], "Reward", minimum=constraints.MIN_REWARD
        ),
        "assignment_duration": constraints.assignment_duration(
            params["AssignmentDurationInSeconds"]
        ),
        "auto_approval_delay": constraints.auto_approval_delay(
            params.get("AutoApprovalDelayInSeconds")
        ),
        "qualification_requirements": requirements_clean(
            params.get("QualificationRequirements"), customer_id=ctx.customer.pk
        ),
    }


def hit_type_get_or_create(ctx: Context, properties: dict[str, Any]) -> HITType:
    """HITs with identical properties share one HIT type (per customer)."""
    canonical = json.dumps(
        {**properties, "reward": str(properties["reward"])}, sort_keys=True, separators=(",", ":")
    )
    signature = hashlib.sha256(canonical.encode()).hexdigest()
    # HIT types never change once created, so they can be cached until the next reset.
    cache_key = (ctx.customer.pk, signature)
    hit_type = customer_cache.hit_types.get(cache_key)
    if hit_type is None:
        hit_type = HITType.objects.filter(customer=ctx.customer, signature=signature).first()
    if hit_type is not None:
        customer_cache.hit_types[cache_key] = hit_type
        return hit_type
    ids = ",".join(r["QualificationTypeId"] for r in properties["qualification_requirements"])
    try:
        with transaction.atomic():
            return HITType.objects.create(
                customer=ctx.customer,
                hit_type_id=new_id(),
                signature=signature,
                requirement_ids=f",{ids}," if ids else "",
                created_at=ctx.now,
                **properties,
            )
    except IntegrityError:
        return HITType.objects.get(customer=ctx.customer, signature=signature)


def create_hit_type(ctx: Context, params: dict) -> dict:
    hit_type = hit_type_get_or_create(ctx, _hit_type_properties(ctx, params))
    return {"HITTypeId": hit_type.hit_type_id}


def _question_for(params: dict) -> tuple[str, str, list]:
    """(question XML, layout id, layout parameters) from Question or HITLayoutId."""
    question = params.get("Question")
    layout_id = params.get("HITLayoutId")
    if question and layout_id:
        raise errors.invalid("Question", "give either Question or HITLayoutId, not both")
    if not question and not layout_id:
        raise errors.missing("Question", "Either Question or HITLayoutId must be given.")
    if question:
        if params.get("HITLayoutParameters"):
            raise errors.invalid("HITLayoutParameters", "only valid together with HITLayoutId")
        questions.validate_question(question)
        return question, "", []
    layout = HITLayout.objects.filter(layout_id=layout_id).first()
    if layout is None:
        raise errors.RequestError(
            errors.HIT_LAYOUT_DOES_NOT_EXIST, f"HITLayoutId {layout_id} does not exist."
        )
    values = constraints.layout_parameters(params.get("HITLayoutParameters"))
    rendered = questions.render_layout(layout.template, values)
    questions.validate_question(rendered, "HITLayoutId")
    return rendered, layout_id, params.get("HITLayoutParameters") or []


def _hit_already_exists(found) -> errors.RequestError:
    return errors.RequestError(
        errors.HIT_ALREADY_EXISTS,
        f"The HIT with ID `{found.object_id}` already exists. "
        f"(UniqueRequestToken used by request {found.request_id})",
    )


def _hit_create(ctx: Context, params: dict, hit_type: HITType) -> dict:
    lifetime = constraints.lifetime(params["LifetimeInSeconds"])
    max_assignments = constraints.max_assignments(params.get("MaxAssignments"))
    annotation = constraints.text(params.get("RequesterAnnotation"), "RequesterAnnotation")
    question, layout_id, layout_params = _question_for(params)
    assignment_policy = policy_clean(params, "AssignmentReviewPolicy", ASSIGNMENT_REVIEW_POLICIES)
    hit_policy = policy_clean(params, "HITReviewPolicy", HIT_REVIEW_POLICIES)
    token = params.get("UniqueRequestToken")
    try:
        with transaction.atomic():
            found = token_find(ctx, "CreateHIT", token)
            if found is not None:
                raise _hit_already_exists(found)
            hit = HIT.objects.create(
                customer=ctx.customer,
                hit_id=new_id(),
                hit_type=hit_type,
                hit_group_id=hit_type.hit_type_id,
                hit_layout_id=layout_id,
                layout_parameters=layout_params,
                question=question,
                created_at=ctx.now,
                expiration=ctx.now + timedelta(seconds=lifetime),
                max_assignments=max_assignments,
                requester_annotation=annotation,
                status=HIT.Status.ASSIGNABLE,
                assignment_review_policy=assignment_policy,
                hit_review_policy=hit_policy,
            )
            token_store(ctx, "CreateHIT", token, hit.hit_id)
            event_emit(customer_id=ctx.customer.pk, event_type="HITCreated", at=ctx.now, hit=hit)
            due_at(hit.expiration)
    except IntegrityError:
        # A concurrent request with the same token won the race.
        found = token_find(ctx, "CreateHIT", token)
        if found is None:
            raise
        raise _hit_already_exists(found) from None
    return {"HIT": hit_dict(hit)}


def create_hit(ctx: Context, params: dict) -> dict:
    hit_type = hit_type_get_or_create(ctx, _hit_type_properties(ctx, params))
    return _hit_create(ctx, params, hit_type)


def create_hit_with_hit_type(ctx: Context, params: dict) -> dict:
    return _hit_create(ctx, params, hit_type_get(ctx, params["HITTypeId"]))


def get_hit(ctx: Context, params: dict) -> dict:
    return {"HIT": hit_dict(hit_get(ctx, params["HITId"]))}


def list_hits(ctx: Context, params: dict) -> dict:
    return hit_page(ctx.customer.pk, params)


def list_hits_for_qualification_type(ctx: Context, params: dict) -> dict:
    qtype = qualification_type_get(ctx, params["QualificationTypeId"])
    return hit_page(ctx.customer.pk, params, requirement_id=qtype.qualification_type_id)


def list_reviewable_hits(ctx: Context, params: dict) -> dict:
    status = params.get("Status") or HIT.Status.REVIEWABLE
    hit_type_pk = hit_type_get(ctx, params["HITTypeId"]).pk if params.get("HITTypeId") else None
    return hit_page(ctx.customer.pk, params, status=status, hit_type_pk=hit_type_pk)


def _hit_state_error(hit: HIT, allowed: str) -> errors.RequestError:
    return errors.RequestError(
        errors.INVALID_HIT_STATE,
        f"This operation can be called with a status of: {allowed} (HIT {hit.hit_id} is "
        f"{hit.status})",
    )


def update_hit_type_of_hit(ctx: Context, params: dict) -> dict:
    hit = hit_get(ctx, params["HITId"], include_deleted=False)
    hit_type = hit_type_get(ctx, params["HITTypeId"])
    with transaction.atomic():
        hit = hit_lock(hit.pk)
        if hit.status == HIT.Status.DISPOSED:
            raise _hit_state_error(hit, "Assignable, Unassignable, Reviewable, Reviewing")
        HIT.objects.filter(pk=hit.pk).update(hit_type=hit_type, hit_group_id=hit_type.hit_type_id)
    return {}


def update_hit_review_status(ctx: Context, params: dict) -> dict:
    hit = hit_get(ctx, params["HITId"], include_deleted=False)
    revert = params.get("Revert", False)
    source, target = (
        (HIT.Status.REVIEWING, HIT.Status.REVIEWABLE)
        if revert
        else (HIT.Status.REVIEWABLE, HIT.Status.REVIEWING)
    )
    with transaction.atomic():
        if HIT.objects.filter(pk=hit.pk, status=source).update(status=target) != 1:
            hit.refresh_from_db(fields=["status"])
            raise _hit_state_error(hit, source)
    return {}


def update_expiration_for_hit(ctx: Context, params: dict) -> dict:
    """A time in the past expires the HIT now; a future time extends it (HITExtended)."""
    hit = hit_get(ctx, params["HITId"], include_deleted=False)
    expire_at = params["ExpireAt"]
    if expire_at > ctx.now + timedelta(seconds=constraints.MAX_DURATION):
        raise errors.out_of_range("ExpireAt", "must be at most 365 days from now")
    with transaction.atomic():
        hit = hit_lock(hit.pk)
        if hit.status == HIT.Status.DISPOSED:
            raise _hit_state_error(hit, "Assignable, Unassignable, Reviewable, Reviewing")
        if expire_at <= ctx.now:
            if hit.expiration > ctx.now:
                hit.expiration = ctx.now
                hit.expiry_processed = True
                HIT.objects.filter(pk=hit.pk).update(expiration=ctx.now, expiry_processed=True)
                event_emit(
                    customer_id=hit.customer_id, event_type="HITExpired", at=ctx.now, hit=hit
                )
                hit_refresh(hit, now=ctx.now)
            return {}
        if expire_at < hit.expiration:
            raise errors.invalid(
                "ExpireAt",
                "the expiration can only be extended (or set in the past to expire the HIT "
                "now), never shortened to a later time that is still in the future",
            )
        hit.expiration = expire_at
        hit.expiry_processed = False
        HIT.objects.filter(pk=hit.pk).update(expiration=expire_at, expiry_processed=False)
        event_emit(customer_id=hit.customer_id, event_type="HITExtended", at=ctx.now, hit=hit)
        hit_refresh(hit, now=ctx.now)
        due_at(expire_at)
    return {}


def create_additional_assignments_for_hit(ctx: Context, params: dict) -> dict:
    hit = hit_get(ctx, params["HITId"], include_deleted=False)
    extra = params["NumberOfAdditionalAssignments"]
    if extra < 1:
        raise errors.out_of_range("NumberOfAdditionalAssignments", "must be at least 1")
    token = params.get("UniqueRequestToken")
    with transaction.atomic():
        found = token_find(ctx, "CreateAdditionalAssignmentsForHIT", token)
        if found is not None:
            raise errors.RequestError(
                errors.DUPLICATE_REQUEST,
                f"There is already a request with UniqueRequestToken {token!r}: request "
                f"{found.request_id} added assignments to HIT {found.object_id}.",
            )
        hit = hit_lock(hit.pk)
        if hit.status == HIT.Status.DISPOSED:
            raise _hit_state_error(hit, "Assignable, Unassignable, Reviewable, Reviewing")
        total = hit.max_assignments + extra
        if hit.max_assignments < 10 <= total:
            raise errors.RequestError(
                errors.INVALID_MAXIMUM_ASSIGNMENTS_INCREASE,
                f"HIT {hit.hit_id} was created with fewer than 10 assignments "
                f"({hit.max_assignments}) and cannot be extended to 10 or more ({total}).",
            )
        if total > constraints.MAX_ASSIGNMENTS:
            raise errors.out_of_range("NumberOfAdditionalAssignments", "too many assignments")
        HIT.objects.filter(pk=hit.pk).update(max_assignments=total)
        hit.max_assignments = total
        token_store(ctx, "CreateAdditionalAssignmentsForHIT", token, hit.hit_id)
        event_emit(customer_id=hit.customer_id, event_type="HITExtended", at=ctx.now, hit=hit)
        hit_refresh(hit, now=ctx.now)
    return {}


def delete_hit(ctx: Context, params: dict) -> dict:
    """Only a Reviewable (or Reviewing) HIT whose submitted assignments are all decided."""
    hit = hit_get(ctx, params["HITId"])
    if hit.deleted:
        return {}
    with transaction.atomic():
        hit = hit_lock(hit.pk)
        if hit.status not in (HIT.Status.REVIEWABLE, HIT.Status.REVIEWING, HIT.Status.DISPOSED):
            raise _hit_state_error(hit, "Reviewable")
        undecided = hit.assignments.filter(
            status__in=[Assignment.Status.SUBMITTED, Assignment.Status.ACCEPTED]
        ).count()
        if undecided:
            raise errors.RequestError(
                errors.INVALID_HIT_STATE,
                f"HIT {hit.hit_id} has {undecided} assignment(s) that are not yet approved or "
                "rejected; approve or reject them before deleting it.",
            )
        if hit.status == HIT.Status.DISPOSED:
            HIT.objects.filter(pk=hit.pk).update(deleted=True)
        else:
            hit_dispose(hit, now=ctx.now, delete=True)
    return {}
