"""The batch page's review section in a real browser: it loads by itself, and a rule is added
and turned off without a reload (no inline script, under the strict CSP)."""

from __future__ import annotations

import pytest

from apps.review.models import AutoReviewRule
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_adds_a_rule_on_the_batch_page(page, gold_batch, carol):
    page.goto("/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/batches/{gold_batch.batch.pk}/")
    page.wait_for_selector("#batch-review >> text=would be approved")
    page.evaluate("window.__marker = 'no reload'")

    page.select_option("#rule-kind", "approve_gold_at_least")
    page.fill("#rule-threshold", "80")
    page.fill("#rule-min-gold", "2")
    page.click("#batch-review >> text=Add the rule")
    page.wait_for_selector("#batch-review >> text=Rule added")
    rule = AutoReviewRule.objects.get()
    page.click(f"#rule-{rule.pk} >> text=Turn off")
    page.wait_for_selector(f"#rule-{rule.pk} >> text=Turn on")

    assert page.evaluate("window.__marker") == "no reload"
    rule.refresh_from_db()
    assert not rule.enabled
    assert page.console_errors == []
