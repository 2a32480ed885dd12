"""The audit CSV opens safely in a spreadsheet without turning numbers into text, and its
details column is JSON a script can read back."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from apps.audit.services import audit_record
from mturkdash.exports import neutralise

pytestmark = pytest.mark.django_db


def _rows(client) -> list[list[str]]:
    response = client.get("/audit/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_it_keeps_negative_amounts_numbers_and_details_json(login, alice, account):
    details = {"reason": '=HYPERLINK("http://evil")', "delta": -12, "note": "+1 -1 @x"}
    audit_record(
        actor=alice,
        requester=account,
        action="bonus.correct",
        target_id="-1+2",
        amount=Decimal("-0.50"),
        fee=Decimal("-0.10"),
        details=details,
    )
    header, row = _rows(login(alice))
    cells = dict(zip(header, row, strict=True))
    assert (cells["amount"], cells["fee"]) == ("-0.50", "-0.10")
    assert cells["target_id"] == "'-1+2"
    assert json.loads(cells["details"]) == details


@pytest.mark.parametrize("number", ["-0.50", "-12", "-0", "0.50", "12"])
def test_plain_numbers_stay_numbers(number):
    assert neutralise(number) == number
    assert neutralise(Decimal(number)) == number


@pytest.mark.parametrize(
    "formula",
    ["-1+2", "=1", "@x", "+x", "+12", "-x", "-12 ", "-1e5", "-.5", "\t1", "\r1", "-1\n=2", "-١٢"],
)
def test_formulas_and_near_numbers_are_still_neutralised(formula):
    assert neutralise(formula) == "'" + formula


def test_details_are_json_with_sorted_keys_not_a_python_repr(login, alice, account):
    audit_record(
        actor=alice,
        requester=account,
        action="bonus.send",
        details={"worker": "A1WORKER", "amount": "0.50", "note": 'it\'s "quoted" ü', "ok": True},
    )
    header, row = _rows(login(alice))
    details = dict(zip(header, row, strict=True))["details"]
    assert details == (
        '{"amount": "0.50", "note": "it\'s \\"quoted\\" ü", "ok": true, "worker": "A1WORKER"}'
    )
    assert json.loads(details)["ok"] is True
    assert "'worker'" not in details and "True" not in details
