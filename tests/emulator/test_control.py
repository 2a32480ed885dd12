"""The control API: worker actions and their refusals, stats, layouts."""

from __future__ import annotations

import pytest

from tests.fixtures.emulator import EmulatorControlError, make_mturk_client

from .conftest import create_hit, new_worker_id


def refusal(call) -> dict:
    with pytest.raises(EmulatorControlError) as excinfo:
        call()
    assert excinfo.value.status == 400
    return excinfo.value.payload


def test_accept_refuses_with_a_reason(mturk, emulator, worker_id):
    hit = create_hit(mturk)
    emulator.accept(worker_id, hit["HITId"])
    again = refusal(lambda: emulator.accept(worker_id, hit["HITId"]))
    assert again["error"] == "AlreadyDone"
    full = refusal(lambda: emulator.accept(new_worker_id(), hit["HITId"]))
    assert full["error"] == "NothingAvailable"
    assert "no assignment available" in full["message"]
    missing = refusal(lambda: emulator.accept(worker_id, "NOSUCHHIT"))
    assert missing["error"] == "HITDoesNotExist"
    bad_id = refusal(lambda: emulator.accept("not-a-worker", hit["HITId"]))
    assert "WorkerId" in bad_id["message"]


def test_a_worker_cannot_redo_a_submitted_hit(mturk, emulator, submitted):
    hit, _, worker = submitted
    mturk.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=1)
    assert refusal(lambda: emulator.accept(worker, hit["HITId"]))["error"] == "AlreadyDone"


def test_submit_and_return_refuse_wrong_states(mturk, emulator, submitted):
    _, assignment_id, _ = submitted
    assert refusal(lambda: emulator.submit(assignment_id, {"a": "b"}))["error"] == "InvalidState"
    assert refusal(lambda: emulator.return_assignment(assignment_id))["error"] == "InvalidState"
    assert refusal(lambda: emulator.submit("NOSUCHASSIGNMENT"))["error"] == (
        "AssignmentDoesNotExist"
    )


def test_submit_refuses_malformed_answer_xml(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    assert refusal(lambda: emulator.submit(assignment, answer_xml="<oops"))["error"] == "BadAnswer"


def test_submit_escapes_answers(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.submit(assignment, {"comment": "<b>&</b>"})
    answer = mturk.get_assignment(AssignmentId=assignment)["Assignment"]["Answer"]
    assert "<FreeText>&lt;b&gt;&amp;&lt;/b&gt;</FreeText>" in answer


def test_stats_count_calls_per_operation_and_customer(emulator, emulator_server):
    key = "AKIASTATSCOUNTER0001"
    client = make_mturk_client(emulator_server.url, access_key_id=key)
    for _ in range(3):
        client.list_hits()
    client.get_account_balance()
    stats = emulator.stats()
    assert stats["customers"][key] == {"ListHITs": 3, "GetAccountBalance": 1}
    assert stats["operations"]["ListHITs"] >= 3
    assert stats["total"] >= 4


def test_layouts_are_registered_and_listed(emulator):
    answer = emulator.register_layout("LAYOUTLIST01", "<p>${a} and ${b}</p>")
    assert answer == {"HITLayoutId": "LAYOUTLIST01", "Parameters": ["a", "b"]}
    listed = emulator.request("GET", "layouts")["Layouts"]
    assert {"HITLayoutId": "LAYOUTLIST01", "Template": "<p>${a} and ${b}</p>"} in listed
    assert "HITLayoutId" in refusal(lambda: emulator.register_layout("lower", "x"))["message"]


def test_worker_attributes_can_be_set_and_read(emulator):
    worker = new_worker_id()
    emulator.set_worker(worker, Locale={"Country": "DE", "Subdivision": "BE"}, Masters=True)
    read = emulator.request("GET", f"workers?worker={worker}")
    assert read["Locale"] == {"Country": "DE", "Subdivision": "BE"}
    assert read["Masters"] is True
    assert "Locale" in refusal(lambda: emulator.set_worker(worker, Locale="Germany"))["message"]


def test_control_errors_are_json(emulator):
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.request("GET", "accept")
    assert excinfo.value.status == 405
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.request("POST", "clock", {"advance_seconds": "soon"})
    assert excinfo.value.status == 400
    assert "advance_seconds" in excinfo.value.payload["message"]


def test_preview_refuses_an_unknown_hit(emulator, worker_id):
    payload = refusal(
        lambda: emulator.request("POST", "preview", {"WorkerId": worker_id, "HITId": "NOSUCHHIT"})
    )
    assert payload["error"] == "HITDoesNotExist"
