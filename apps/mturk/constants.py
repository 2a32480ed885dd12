"""Fixed facts about MTurk: endpoints and system qualification type ids (MTURK-FACTS.md)."""

REGION = "us-east-1"

PRODUCTION_ENDPOINT = "https://mturk-requester.us-east-1.amazonaws.com"
SANDBOX_ENDPOINT = "https://mturk-requester-sandbox.us-east-1.amazonaws.com"

# The environments an account may be in (apps.requesters.models.Environment keeps the labels).
LOCAL, SANDBOX, PRODUCTION = "local", "sandbox", "production"
ENVIRONMENT_ENDPOINTS = {SANDBOX: SANDBOX_ENDPOINT, PRODUCTION: PRODUCTION_ENDPOINT}

# The hosts of AWS's own SQS queues: sqs.<region>.amazonaws.com, <region>.queue.amazonaws.com
# and the legacy queue.amazonaws.com (us-east-1).
SQS_AWS_HOST = (
    r"sqs\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com"
    r"|(?:[a-z]{2}(?:-[a-z]+)+-\d\.)?queue\.amazonaws\.com"
)

PRODUCTION_EXTERNAL_SUBMIT = "https://www.mturk.com/mturk/externalSubmit"
SANDBOX_EXTERNAL_SUBMIT = "https://workersandbox.mturk.com/mturk/externalSubmit"

QUAL_PERCENT_APPROVED = "000000000000000000L0"
QUAL_NUMBER_HITS_APPROVED = "00000000000000000040"
QUAL_LOCALE = "00000000000000000071"
QUAL_ADULT = "00000000000000000060"
QUAL_MASTERS_PRODUCTION = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"
QUAL_MASTERS_SANDBOX = "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"
MASTERS_IDS = frozenset({QUAL_MASTERS_PRODUCTION, QUAL_MASTERS_SANDBOX})

# The nine paginated List operations and the key holding their items.
LIST_RESULT_KEYS = {
    "list_assignments_for_hit": "Assignments",
    "list_bonus_payments": "BonusPayments",
    "list_hits": "HITs",
    "list_hits_for_qualification_type": "HITs",
    "list_qualification_requests": "QualificationRequests",
    "list_qualification_types": "QualificationTypes",
    "list_reviewable_hits": "HITs",
    "list_worker_blocks": "WorkerBlocks",
    "list_workers_with_qualification_type": "Qualifications",
}
