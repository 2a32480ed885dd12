"""Assignments and money: read, list, approve, reject, bonuses, balance, file upload URLs."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from ..engine import fees, uploads
from ..engine.lifecycle import assignment_approve, assignment_transition, balance_debit
from ..models import Assignment, BonusPayment, Customer
from ..wire import errors
from . import constraints, questions
from .common import (
    assignment_dict,
    assignment_get,
    assignment_page,
    hit_dict,
    hit_get,
    paginate,
    token_find,
    token_store,
)
from .context import Context


def get_assignment(ctx: Context, params: dict) -> dict:
    assignment = assignment_get(ctx, params["AssignmentId"])
    return {"Assignment": assignment_dict(assignment), "HIT": hit_dict(assignment.hit)}


def list_assignments_for_hit(ctx: Context, params: dict) -> dict:
    statuses = params.get("AssignmentStatuses") or list(Assignment.VISIBLE)
    page = assignment_page(ctx, params["HITId"], statuses, params)
    if page is not None:
        return page
    # An empty page: the HIT may not exist (an error), or have nothing to show (yet).
    hit = hit_get(ctx, params["HITId"])
    queryset = Assignment.objects.filter(hit=hit, status__in=statuses)
    items, meta = paginate(queryset, params)
    for item in items:
        item.hit = hit
    return {**meta, "Assignments": [assignment_dict(item) for item in items]}


def approve_assignment(ctx: Context, params: dict) -> dict:
    feedback = constraints.requester_feedback(params.get("RequesterFeedback"))
    override = params.get("OverrideRejection", False)
    with transaction.atomic():
        assignment = assignment_get(ctx, params["AssignmentId"], for_update=True)
        if override and assignment.status == Assignment.Status.REJECTED:
            if assignment.hit.deleted:
                # "only if the assignment's related HIT has not been deleted" (ApproveAssignment)
                raise errors.RequestError(
                    errors.INVALID_ASSIGNMENT_STATE,
                    f"The rejection of assignment {assignment.assignment_id} cannot be "
                    f"overridden: its HIT {assignment.hit.hit_id} has been deleted.",
                )
            window = timedelta(seconds=constraints.OVERRIDE_REJECTION_SECONDS)
            if assignment.submit_time + window < ctx.now:
                raise errors.RequestError(
                    errors.INVALID_ASSIGNMENT_STATE,
                    "A rejection can only be overridden within 30 days of submission "
                    f"(assignment {assignment.assignment_id} was submitted "
                    f"{assignment.submit_time.isoformat()}).",
                )
        assignment_approve(assignment, now=ctx.now, feedback=feedback, override=override)
    return {}


def reject_assignment(ctx: Context, params: dict) -> dict:
    feedback = constraints.requester_feedback(params.get("RequesterFeedback"), required=True)
    with transaction.atomic():
        assignment = assignment_get(ctx, params["AssignmentId"], for_update=True)
        assignment_transition(
            assignment,
            "reject",
            now=ctx.now,
            rejection_time=ctx.now,
            requester_feedback=feedback,
        )
    return {}


def _duplicate_bonus(found, token: str) -> errors.RequestError:
    return errors.RequestError(
        errors.DUPLICATE_REQUEST,
        f"There is already a request with UniqueRequestToken {token!r}: request "
        f"{found.request_id} paid this bonus (assignment {found.object_id}).",
    )


def send_bonus(ctx: Context, params: dict) -> dict:
    """Pay a bonus (plus fee) to the worker who did the assignment; idempotent with a token."""
    amount = constraints.money_amount(
        params["BonusAmount"], "BonusAmount", minimum=constraints.MIN_BONUS
    )
    reason = params["Reason"]
    if not reason.strip():
        raise errors.missing("Reason", "It must not be empty.")
    token = params.get("UniqueRequestToken")
    assignment = (
        Assignment.objects.select_related("hit")
        .filter(customer=ctx.customer, assignment_id=params["AssignmentId"])
        .first()
    )
    if assignment is None or assignment.status not in (
        Assignment.Status.SUBMITTED,
        Assignment.Status.APPROVED,
        Assignment.Status.REJECTED,
    ):
        raise errors.RequestError(
            errors.ASSIGNMENT_DOES_NOT_EXIST,
            f"Assignment {params['AssignmentId']} does not exist. ({ctx.request_id})",
        )
    if assignment.worker_id != params["WorkerId"]:
        raise errors.invalid(
            "WorkerId",
            f"worker {params['WorkerId']} did not work on assignment {assignment.assignment_id}",
        )
    fee = fees.bonus_fee(amount)
    try:
        with transaction.atomic():
            found = token_find(ctx, "SendBonus", token)
            if found is not None:
                raise _duplicate_bonus(found, token)
            balance_debit(customer_id=ctx.customer.pk, amount=amount + fee)
            BonusPayment.objects.create(
                customer=ctx.customer,
                assignment=assignment,
                worker_id=assignment.worker_id,
                amount=amount,
                fee=fee,
                reason=reason,
                grant_time=ctx.now,
            )
            token_store(ctx, "SendBonus", token, assignment.assignment_id)
    except IntegrityError:
        found = token_find(ctx, "SendBonus", token)
        if found is None:
            raise
        raise _duplicate_bonus(found, token) from None
    return {}


def list_bonus_payments(ctx: Context, params: dict) -> dict:
    hit_id = params.get("HITId")
    assignment_id = params.get("AssignmentId")
    if bool(hit_id) == bool(assignment_id):
        raise errors.invalid("HITId", "give exactly one of HITId or AssignmentId")
    queryset = BonusPayment.objects.filter(customer=ctx.customer).select_related("assignment")
    if hit_id:
        queryset = queryset.filter(assignment__hit=hit_get(ctx, hit_id))
    else:
        assignment = assignment_get(ctx, assignment_id)
        queryset = queryset.filter(assignment=assignment)
    items, meta = paginate(queryset, params)
    return {
        **meta,
        "BonusPayments": [
            {
                "WorkerId": item.worker_id,
                "BonusAmount": fees.money(item.amount),
                "AssignmentId": item.assignment.assignment_id,
                "Reason": item.reason,
                "GrantTime": item.grant_time,
            }
            for item in items
        ],
    }


def get_account_balance(ctx: Context, params: dict) -> dict:
    balance = Customer.objects.values_list("balance", flat=True).get(pk=ctx.customer.pk)
    return {"AvailableBalance": fees.money(balance), "OnHoldBalance": "0.00"}


def get_file_upload_url(ctx: Context, params: dict) -> dict:
    """A URL serving the worker's uploaded file, valid for 60 seconds (`engine.uploads`)."""
    assignment = assignment_get(ctx, params["AssignmentId"])
    identifier = params["QuestionIdentifier"]
    info = None
    if assignment.hit.question:
        try:
            info = questions.validate_question(assignment.hit.question)
        except errors.RequestError:
            info = None
    if info is None or identifier not in info.file_upload_identifiers:
        raise errors.invalid(
            "QuestionIdentifier",
            f"{identifier!r} is not a FileUploadAnswer question of HIT {assignment.hit.hit_id}",
        )
    upload = assignment.uploads.filter(question_identifier=identifier).order_by("-pk").first()
    if upload is None:
        raise errors.RequestError(
            errors.NO_FILE_UPLOAD_ANSWER,
            f"There is no file upload answer for question {identifier!r} in assignment "
            f"{assignment.assignment_id}.",
        )
    token = uploads.download_token(upload, now=ctx.now)
    return {"FileUploadURL": f"{uploads.public_url()}/mturk/uploads/{token}"}
