"""Which test of this suite reads each page, and why the other URLs are not pages.

`PAGES` maps a URL name to the test (`module.py::function`) that renders it in its states for
each role; `NOT_A_PAGE` gives the one-line reason a URL has no page of its own, and where it is
tested. tests/pages/test_coverage.py holds both against the URL resolver: a URL added without an
entry here fails it.
"""

from __future__ import annotations

PAGES: dict[str, str] = {
    # accounts
    "home": "test_accounts.py::test_home",
    "requesters-create": "test_accounts.py::test_account_forms",
    "requesters-edit": "test_accounts.py::test_account_forms",
    "requesters-detail": "test_accounts.py::test_account_detail",
    "requesters-balance": "test_accounts.py::test_balance_with_and_without_credentials",
    "requesters-mturk-health": "test_accounts.py::test_account_detail",
    "notifications-status": "test_accounts.py::test_account_detail",
    # audit, HITs, sync, errors
    "audit-list": "test_other.py::test_audit",
    "audit-export": "test_other.py::test_audit",
    "hits-list": "test_other.py::test_hits",
    "hits-detail": "test_other.py::test_hits",
    "sync-status": "test_other.py::test_sync_status",
    "favicon": "test_other.py::test_favicon",
    # projects
    "batches-projects": "test_projects.py::test_project_list",
    "batches-project-new": "test_projects.py::test_project_forms",
    "batches-project-edit": "test_projects.py::test_project_forms",
    "batches-project-check": "test_projects.py::test_project_forms",
    "batches-project-copy": "test_projects.py::test_project_forms",
    "batches-project-draft-preview": "test_projects.py::test_project_forms",
    "batches-project": "test_projects.py::test_project_detail",
    "batches-project-preview": "test_projects.py::test_project_detail",
    "batches-upload": "test_projects.py::test_project_forms",
    "batches-gallery": "test_projects.py::test_gallery",
    "batches-starter": "test_projects.py::test_gallery",
    "batches-starter-preview": "test_projects.py::test_gallery",
    "batches-starter-csv": "test_projects.py::test_gallery",
    # studies
    "studies-list": "test_studies.py::test_study_pages",
    "studies-new": "test_studies.py::test_study_pages",
    "studies-edit": "test_studies.py::test_study_pages",
    "studies-detail": "test_studies.py::test_study_pages",
    # batches
    "batches-list": "test_batches.py::test_batch_list",
    "batches-detail": "test_batches.py::test_batch_detail",
    "batches-progress": "test_batches.py::test_batch_detail_while_launching",
    "batches-row-preview": "test_batches.py::test_row_preview",
    "batches-launch": "test_batches.py::test_launch_confirmation",
    "batches-results-csv": "test_batches.py::test_batch_downloads",
    "batches-results-jsonl": "test_batches.py::test_batch_downloads",
    "batches-input": "test_batches.py::test_batch_downloads",
    "batches-eligibility": "test_fair_pay.py::test_eligibility_page",
    "review-batch-topup": "test_fair_pay.py::test_topup_preview",
    # review
    "review-queue": "test_review.py::test_review_queue",
    "review-bulk": "test_review.py::test_bulk_confirmation",
    "review-export": "test_review.py::test_review_csv_round_trip",
    "review-import": "test_review.py::test_review_csv_round_trip",
    "review-job": "test_review.py::test_review_csv_round_trip",
    "review-bonus-upload": "test_review.py::test_bonus_batch",
    "review-bonus-batch": "test_review.py::test_bonus_batch",
    "review-quality": "test_review.py::test_quality_pages",
    "review-batch": "test_review.py::test_quality_pages",
    "review-batch-quality": "test_review.py::test_quality_pages",
    "review-batch-results": "test_review.py::test_batch_results_page",
    "review-score-update": "test_review.py::test_quality_pages",
    "review-batch-aggregate-csv": "test_review.py::test_batch_aggregate_downloads",
    "review-batch-aggregate-jsonl": "test_review.py::test_batch_aggregate_downloads",
    "review-batch-redundancy": "test_review.py::test_redundancy_page",
    # workers
    "workers-list": "test_workers.py::test_worker_list",
    "workers-detail": "test_workers.py::test_worker_detail",
    "workers-export": "test_workers.py::test_worker_export_and_import",
    "workers-import": "test_workers.py::test_worker_export_and_import",
    "workers-update": "test_workers.py::test_worker_update",
    "workers-message-many": "test_workers.py::test_message_many",
    "workers-message-result": "test_workers.py::test_message_many",
    # qualifications
    "qualifications-list": "test_qualifications.py::test_qualification_list",
    "qualifications-detail": "test_qualifications.py::test_qualification_detail",
    "qualifications-create": "test_qualifications.py::test_qualification_forms",
    "qualifications-edit": "test_qualifications.py::test_qualification_forms",
    "qualifications-requirements": "test_qualifications.py::test_requirements_builder",
}

_MATRIX = "POST-only action, roles held by tests/test_role_matrix.py, role matrix"

NOT_A_PAGE: dict[str, str] = {
    "studies-publish": f"{_MATRIX} 'study publish'",
    "studies-auto-approve": f"{_MATRIX} 'study auto approve'",
    "requesters-switch": "POST-only: the account switcher; tests/requesters/test_views.py",
    "requesters-member-add": f"{_MATRIX} 'member add'",
    "requesters-member-role": f"{_MATRIX} 'member role'",
    "requesters-member-remove": f"{_MATRIX} 'member remove'",
    "notifications-test": f"{_MATRIX} 'test notification'",
    "sync-now": f"{_MATRIX} 'sync now'",
    "batches-retry": f"{_MATRIX} 'batch retry'",
    "batches-cancel": f"{_MATRIX} 'batch cancel'",
    "batches-resume": f"{_MATRIX} 'batch resume'",
    "batches-action": f"{_MATRIX} 'batch action'",
    "batches-bonuses-refresh": f"{_MATRIX} 'batch bonuses refresh'",
    "batches-project-reward": f"{_MATRIX} 'project reward'",
    "review-batch-topup-pay": f"{_MATRIX} 'top-up pay'",
    "batches-waves": (
        "The batch page's waves section, polled by htmx (the page itself without it); "
        "tests/batches/test_waves_page.py"
    ),
    "batches-waves-plan": f"{_MATRIX} 'batch waves plan'",
    "batches-waves-pause": f"{_MATRIX} 'batch waves pause'",
    "batches-waves-resume": f"{_MATRIX} 'batch waves resume'",
    "batches-waves-release": f"{_MATRIX} 'batch waves release'",
    "batches-waves-cancel": f"{_MATRIX} 'batch waves cancel'",
    "review-approve": f"{_MATRIX} 'approve'",
    "review-reject": f"{_MATRIX} 'reject'",
    "review-bonus": f"{_MATRIX} 'bonus'",
    "review-bonus-batch-pay": f"{_MATRIX} 'bonus batch pay'",
    "review-job-apply": f"{_MATRIX} 'review job apply'",
    "review-job-cancel": f"{_MATRIX} 'review job cancel'",
    "review-rule-create": f"{_MATRIX} 'review rule add'",
    "review-redundancy-apply": f"{_MATRIX} 'redundancy apply'",
    "review-redundancy-rule": f"{_MATRIX} 'redundancy rule'",
    "review-redundancy-rule-toggle": f"{_MATRIX} 'redundancy rule toggle'",
    "review-rule-toggle": f"{_MATRIX} 'review rule toggle'",
    "review-rule-delete": f"{_MATRIX} 'review rule delete'",
    "review-batch-bonus": f"{_MATRIX} 'batch bonus by rule'",
    "review-score-update-create": f"{_MATRIX} 'scores from quality'",
    "review-score-update-apply": f"{_MATRIX} 'scores from quality apply'",
    "workers-block": f"{_MATRIX} 'block'",
    "workers-unblock": f"{_MATRIX} 'unblock'",
    "workers-message": f"{_MATRIX} 'message'",
    "workers-score": f"{_MATRIX} 'worker score'",
    "workers-compensate": f"{_MATRIX} 'compensate'",
    "qualifications-delete": f"{_MATRIX} 'qualification delete'",
    "qualifications-grant": f"{_MATRIX} 'qualification grant'",
    "qualifications-upload": f"{_MATRIX} 'qualification upload'",
    "qualifications-scores-refresh": f"{_MATRIX} 'qualification scores refresh'",
    "qualifications-request": f"{_MATRIX} 'qualification request'",
    "qualifications-group-add": f"{_MATRIX} 'group add'",
    "qualifications-batch-exclude": (
        f"{_MATRIX} 'batch exclude'; one click: tests/batches/test_batch_page_exclude.py"
    ),
    "qualifications-test-check": (
        "POST-only: the test editor's live check (htmx fragment); tests/qualifications/test_views.py"
    ),
    "qualifications-test-preview": (
        "A sandboxed frame of a test made by the live check (by digest, never linked from a page);"
        " tests/qualifications/test_views.py"
    ),
    "review-file": (
        "A redirect to a file answer's stored copy, not a page; "
        "tests/review/decisions/test_file_answers.py"
    ),
}
