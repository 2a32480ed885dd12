"""The keyboard flow in a real browser: `a` approves and moves on, `r` then Enter rejects and
moves on, each decision reaches the local MTurk, and a decided card is one short line."""

from __future__ import annotations

import pytest

from apps.hits.models import Assignment
from apps.sync.services import requester_sync
from tests.factories import PASSWORD
from tests.helpers import create_hit, work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _status_at_mturk(account_mturk, assignment_id: str) -> str:
    return account_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"][
        "AssignmentStatus"
    ]


def _selected(page) -> list[str]:
    return page.eval_on_selector_all("[data-assignment].selected", "cards => cards.map(c => c.id)")


def test_a_and_r_decide_and_move_on_to_the_next_card(
    page, bob, local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=3)
    ids = [work(emulator, hit["HITId"], {"label": f"answer {n}"})[0] for n in range(3)]
    requester_sync(requester=local_account)
    first, second, third = (f"assignment-{Assignment.objects.get(mturk_id=i).pk}" for i in ids)

    page.goto("/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/review/")
    page.wait_for_selector("[data-assignment]")
    page.evaluate("window.__marker = 'no reload'")
    full_height = page.locator(f"#{second}").bounding_box()["height"]

    page.keyboard.press("a")
    page.wait_for_selector(f"#{first}[data-decided] .status-approved")
    page.wait_for_selector(f"#{second}:focus")
    assert _selected(page) == [second]

    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.matches('[data-reject-feedback]')")
    page.keyboard.type("Does not answer the question")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#{second}[data-decided] .status-rejected")
    page.wait_for_selector(f"#{third}:focus")
    assert _selected(page) == [third]

    assert _status_at_mturk(account_mturk, ids[0]) == "Approved"
    assert _status_at_mturk(account_mturk, ids[1]) == "Rejected"
    assert _status_at_mturk(account_mturk, ids[2]) == "Submitted"
    assert (
        account_mturk.get_assignment(AssignmentId=ids[1])["Assignment"]["RequesterFeedback"]
        == "Does not answer the question"
    )

    # The decided card is one line that says what happened, with no blank room under it, even
    # after the page's messages have faded.
    rejected = page.locator(f"#{second}")
    assert rejected.locator("[data-notice]").inner_text() == "Rejected."
    page.wait_for_timeout(6500)
    height = rejected.bounding_box()["height"]
    assert height < 70 and height < full_height / 2
    assert not rejected.locator("h3", has_text="Answer").is_visible()
    rejected.locator("summary").click()
    assert rejected.locator("h3", has_text="Answer").is_visible()

    # A click selects the card clicked; j and k still move, across decided cards too.
    assert _selected(page) == [second]
    page.keyboard.press("k")
    assert _selected(page) == [first]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _selected(page) == [third]

    # b on a decided card unfolds it and pays a bonus from the keyboard.
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert _selected(page) == [first]
    page.keyboard.press("b")
    page.keyboard.type("0.75")
    page.keyboard.press("Tab")
    page.keyboard.type("Thorough")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#{first} >> text=Bonus of $0.75 paid.")
    payments = account_mturk.list_bonus_payments(AssignmentId=ids[0])["BonusPayments"]
    assert [p["BonusAmount"] for p in payments] == ["0.75"]
    assert page.evaluate("window.__marker") == "no reload"
    assert page.console_errors == []


def test_a_refused_rejection_keeps_the_selection_on_its_card(
    page, bob, local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=2)
    ids = [work(emulator, hit["HITId"])[0] for _ in range(2)]
    requester_sync(requester=local_account)
    first = f"assignment-{Assignment.objects.get(mturk_id=ids[0]).pk}"

    page.goto("/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/review/")
    page.wait_for_selector("[data-assignment]")

    page.keyboard.press("r")
    page.keyboard.press("Enter")  # no feedback: refused
    page.wait_for_selector(f"#{first} >> text=Say why: workers see this feedback.")
    page.wait_for_selector(f"#{first}:focus")
    assert _selected(page) == [first]
    assert _status_at_mturk(account_mturk, ids[0]) == "Submitted"

    # Filtering swaps the whole list: the card is still selected, and the filter keeps focus.
    page.focus("select[name=status]")
    with page.expect_response(lambda r: "status=&" in r.url or r.url.endswith("status=")):
        page.select_option("select[name=status]", "")
    page.wait_for_selector(".htmx-request, .htmx-swapping, .htmx-settling", state="detached")
    assert _selected(page) == [first]
    assert page.evaluate("document.activeElement.name") == "status", page.evaluate(
        "document.activeElement.outerHTML.slice(0, 80)"
    )
    assert page.console_errors == []
