"""Qualification types, scores and requests."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from ..engine.qualifications import SYSTEM_TYPES, qualification_grant
from ..models import Qualification, QualificationRequest, QualificationType, Worker
from ..wire import errors
from ..wire.ids import new_id
from . import questions
from .common import paginate, qualification_type_dict, qualification_type_get
from .context import Context


def _non_negative(params: dict, key: str) -> None:
    if params.get(key) is not None and params[key] < 0:
        raise errors.out_of_range(key, "must not be negative")


def _check_test_settings(*, test: str, duration, answer_key: str, auto_granted: bool) -> None:
    if test:
        questions.validate_test(test)
        if duration is None:
            raise errors.missing("TestDurationInSeconds", "It is required with Test.")
        if auto_granted:
            raise errors.invalid("AutoGranted", "cannot be true when a Test is given")
    if answer_key:
        if not test:
            raise errors.invalid("AnswerKey", "needs a Test")
        questions.validate_answer_key(answer_key)


def create_qualification_type(ctx: Context, params: dict) -> dict:
    name = params["Name"].strip()
    if not name:
        raise errors.missing("Name", "It must not be empty.")
    if not params["Description"].strip():
        raise errors.missing("Description", "It must not be empty.")
    for key in ("RetryDelayInSeconds", "TestDurationInSeconds"):
        _non_negative(params, key)
    test = params.get("Test") or ""
    answer_key = params.get("AnswerKey") or ""
    auto_granted = params.get("AutoGranted", False)
    _check_test_settings(
        test=test,
        duration=params.get("TestDurationInSeconds"),
        answer_key=answer_key,
        auto_granted=auto_granted,
    )
    with transaction.atomic():
        clash = QualificationType.objects.filter(
            Q(customer=ctx.customer) | Q(customer__isnull=True), name__iexact=name, deleted=False
        ).first()
        if clash is not None:
            raise errors.RequestError(
                errors.QUALIFICATION_TYPE_ALREADY_EXISTS,
                f"You have already created a QualificationType with this name: {name} "
                f"({clash.qualification_type_id})",
            )
        qtype = QualificationType.objects.create(
            customer=ctx.customer,
            qualification_type_id=new_id(),
            name=name,
            description=params["Description"],
            keywords=params.get("Keywords") or "",
            status=params["QualificationTypeStatus"],
            retry_delay=params.get("RetryDelayInSeconds"),
            test=test,
            answer_key=answer_key,
            test_duration=params.get("TestDurationInSeconds") if test else None,
            auto_granted=auto_granted,
            auto_granted_value=(params.get("AutoGrantedValue", 1) if auto_granted else None),
            is_requestable=True,
            created_at=ctx.now,
        )
    return {"QualificationType": qualification_type_dict(qtype)}


def get_qualification_type(ctx: Context, params: dict) -> dict:
    qtype = qualification_type_get(ctx, params["QualificationTypeId"])
    return {"QualificationType": qualification_type_dict(qtype)}


def update_qualification_type(ctx: Context, params: dict) -> dict:
    """Name and Keywords cannot change; retries can be enabled or changed, not disabled."""
    qtype = qualification_type_get(ctx, params["QualificationTypeId"], owned=True)
    for key in ("RetryDelayInSeconds", "TestDurationInSeconds"):
        _non_negative(params, key)
    # "If you are updating the test for a type, you must specify the Test and
    # TestDurationInSeconds parameters. ... If you provide an updated Test but no AnswerKey, the
    # new test will not have an answer key." Without Test, the old test stays whole.
    if "Test" in params:
        test = params["Test"] or ""
        if test and params.get("TestDurationInSeconds") is None:
            raise errors.missing("TestDurationInSeconds", "It is required with Test.")
        answer_key = params.get("AnswerKey") or ""
        duration = params.get("TestDurationInSeconds")
    else:
        if params.get("AnswerKey") or "TestDurationInSeconds" in params:
            raise errors.invalid(
                "Test",
                "is required to change the answer key or the test duration: send the test's "
                "questions again with the new values",
            )
        test, answer_key, duration = qtype.test, qtype.answer_key, qtype.test_duration
    if qtype.test and not test:
        raise errors.invalid("Test", "cannot be removed from a type that has one")
    auto_granted = params.get("AutoGranted", qtype.auto_granted)
    if "Test" in params and "AutoGranted" not in params and test:
        auto_granted = False
    _check_test_settings(
        test=test, duration=duration, answer_key=answer_key, auto_granted=auto_granted
    )
    if "Description" in params:
        if not params["Description"].strip():
            raise errors.missing("Description", "It must not be empty.")
        qtype.description = params["Description"]
    if "QualificationTypeStatus" in params:
        qtype.status = params["QualificationTypeStatus"]
    if "RetryDelayInSeconds" in params:
        qtype.retry_delay = params["RetryDelayInSeconds"]
    qtype.test = test
    qtype.answer_key = answer_key
    qtype.test_duration = duration if test else None
    qtype.auto_granted = auto_granted
    if auto_granted:
        qtype.auto_granted_value = params.get(
            "AutoGrantedValue",
            qtype.auto_granted_value if qtype.auto_granted_value is not None else 1,
        )
    else:
        qtype.auto_granted_value = None
    qtype.save()
    return {"QualificationType": qualification_type_dict(qtype)}


def delete_qualification_type(ctx: Context, params: dict) -> dict:
    qtype = qualification_type_get(ctx, params["QualificationTypeId"], owned=True)
    QualificationType.objects.filter(pk=qtype.pk).update(deleted=True, status="Inactive")
    return {}


def list_qualification_types(ctx: Context, params: dict) -> dict:
    queryset = QualificationType.objects.filter(deleted=False)
    if params.get("MustBeOwnedByCaller"):
        queryset = queryset.filter(customer=ctx.customer)
    else:
        queryset = queryset.filter(Q(customer=ctx.customer) | Q(customer__isnull=True))
    if params["MustBeRequestable"]:
        # Workers can request only active types that MTurk does not assign itself.
        queryset = queryset.filter(is_requestable=True, status="Active")
    query = (params.get("Query") or "").strip()
    if query:
        queryset = queryset.filter(
            Q(name__icontains=query)
            | Q(description__icontains=query)
            | Q(keywords__icontains=query)
        )
    items, meta = paginate(queryset, params)
    return {**meta, "QualificationTypes": [qualification_type_dict(item) for item in items]}


def _known_worker(worker_id: str) -> None:
    if not Worker.objects.filter(worker_id=worker_id).exists():
        raise errors.RequestError(
            errors.WORKER_DOES_NOT_EXIST, f"Worker {worker_id} does not exist."
        )


def _owned_for_scores(ctx: Context, qualification_type_id: str) -> QualificationType:
    if qualification_type_id in SYSTEM_TYPES:
        raise errors.invalid(
            "QualificationTypeId",
            f"{qualification_type_id} is a system qualification type that MTurk assigns itself",
        )
    return qualification_type_get(ctx, qualification_type_id, owned=True)


def associate_qualification_with_worker(ctx: Context, params: dict) -> dict:
    qtype = _owned_for_scores(ctx, params["QualificationTypeId"])
    _known_worker(params["WorkerId"])
    qualification_grant(
        qtype=qtype,
        worker_id=params["WorkerId"],
        value=params.get("IntegerValue", 1),
        now=ctx.now,
    )
    return {}


def disassociate_qualification_from_worker(ctx: Context, params: dict) -> dict:
    qtype = _owned_for_scores(ctx, params["QualificationTypeId"])
    changed = Qualification.objects.filter(
        qualification_type=qtype, worker_id=params["WorkerId"], status="Granted"
    ).update(status="Revoked")
    if not changed:
        raise errors.RequestError(
            errors.QUALIFICATION_DOES_NOT_EXIST,
            f"Worker {params['WorkerId']} does not have qualification "
            f"{qtype.qualification_type_id}.",
        )
    return {}


def _qualification_dict(item: Qualification) -> dict:
    data = {
        "QualificationTypeId": item.qualification_type.qualification_type_id,
        "WorkerId": item.worker_id,
        "GrantTime": item.grant_time,
        "Status": item.status,
    }
    if item.integer_value is not None:
        data["IntegerValue"] = item.integer_value
    if item.locale_country:
        data["LocaleValue"] = {"Country": item.locale_country}
        if item.locale_subdivision:
            data["LocaleValue"]["Subdivision"] = item.locale_subdivision
    return data


def get_qualification_score(ctx: Context, params: dict) -> dict:
    qtype = _owned_for_scores(ctx, params["QualificationTypeId"])
    item = (
        Qualification.objects.select_related("qualification_type")
        .filter(qualification_type=qtype, worker_id=params["WorkerId"])
        .first()
    )
    if item is None:
        raise errors.RequestError(
            errors.QUALIFICATION_DOES_NOT_EXIST,
            f"You requested a Qualification that does not exist: worker {params['WorkerId']}, "
            f"type {qtype.qualification_type_id}.",
        )
    return {"Qualification": _qualification_dict(item)}


def list_workers_with_qualification_type(ctx: Context, params: dict) -> dict:
    qtype = _owned_for_scores(ctx, params["QualificationTypeId"])
    queryset = Qualification.objects.select_related("qualification_type").filter(
        qualification_type=qtype
    )
    if params.get("Status"):
        queryset = queryset.filter(status=params["Status"])
    items, meta = paginate(queryset, params)
    return {**meta, "Qualifications": [_qualification_dict(item) for item in items]}


def list_qualification_requests(ctx: Context, params: dict) -> dict:
    queryset = QualificationRequest.objects.select_related("qualification_type").filter(
        qualification_type__customer=ctx.customer,
        status=QualificationRequest.Status.PENDING,
    )
    if params.get("QualificationTypeId"):
        qtype = qualification_type_get(ctx, params["QualificationTypeId"], owned=True)
        queryset = queryset.filter(qualification_type=qtype)
    items, meta = paginate(queryset, params)
    return {
        **meta,
        "QualificationRequests": [
            {
                "QualificationRequestId": item.request_id,
                "QualificationTypeId": item.qualification_type.qualification_type_id,
                "WorkerId": item.worker_id,
                "Test": item.test,
                "Answer": item.answer,
                "SubmitTime": item.submit_time,
            }
            for item in items
        ],
    }


def _pending_request(ctx: Context, request_id: str) -> QualificationRequest:
    item = (
        QualificationRequest.objects.select_for_update(of=("self",))
        .select_related("qualification_type")
        .filter(
            request_id=request_id,
            qualification_type__customer=ctx.customer,
            status=QualificationRequest.Status.PENDING,
        )
        .first()
    )
    if item is None:
        raise errors.RequestError(
            errors.QUALIFICATION_REQUEST_DOES_NOT_EXIST,
            f"QualificationRequest {request_id} does not exist or was already answered.",
        )
    return item


def accept_qualification_request(ctx: Context, params: dict) -> dict:
    with transaction.atomic():
        item = _pending_request(ctx, params["QualificationRequestId"])
        item.status = QualificationRequest.Status.ACCEPTED
        item.save(update_fields=["status"])
        qualification_grant(
            qtype=item.qualification_type,
            worker_id=item.worker_id,
            value=params.get("IntegerValue", 1),
            now=ctx.now,
        )
    return {}


def reject_qualification_request(ctx: Context, params: dict) -> dict:
    with transaction.atomic():
        item = _pending_request(ctx, params["QualificationRequestId"])
        item.status = QualificationRequest.Status.REJECTED
        item.reason = params.get("Reason") or ""
        item.save(update_fields=["status", "reason"])
    return {}
