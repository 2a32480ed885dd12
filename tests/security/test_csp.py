"""A strict Content Security Policy on every page: no inline script or style, no eval. Only the
sandboxed HIT and test preview frames, which show requesters' own HTML, allow inline styles;
they run no script of their own and cannot submit, connect or be framed elsewhere. Templates
and static JS are scanned so that nothing inline creeps back in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.batches.conftest import TEMPLATE, make_project
from tests.security.urlwalk import dashboard_routes

REPO = Path(__file__).resolve().parents[2]
FRAMES = {"batches-project-preview", "batches-row-preview", "qualifications-test-preview"}
GET_ROUTES = [r for r in dashboard_routes() if r.methods is None or "GET" in r.methods]


def _policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.django_db
def test_every_page_has_a_strict_policy(client, targets, alice):
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": targets["objects"]["account"].pk})
    # The test preview frame shows what this person's session keeps: put one there.
    client.post("/qualifications/test-check/", {"test": "", "answer_key": ""})
    problems, seen = [], 0
    for route in GET_ROUTES:
        url = targets["url_of"](route.route, route.name)
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{route.name}: {response.status_code}")
            continue
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{route.name}: no nosniff")
        if not response.get("Content-Type", "").startswith("text/html"):
            if "attachment" not in response.get("Content-Disposition", ""):
                problems.append(f"{route.name}: a download not sent as an attachment")
            continue
        if response.status_code in {301, 302}:
            continue
        seen += 1
        policy = _policy(response.get("Content-Security-Policy", ""))
        if not policy:
            problems.append(f"{route.name}: no Content-Security-Policy")
            continue
        scripts = policy.get("script-src", policy.get("default-src", []))
        if {"'unsafe-inline'", "'unsafe-eval'"} & set(scripts) or not scripts:
            problems.append(f"{route.name}: script-src {scripts}")
        if route.name in FRAMES:
            for name, value in (
                ("default-src", ["'none'"]),
                ("connect-src", ["'none'"]),
                ("form-action", ["'none'"]),
                ("frame-ancestors", ["'self'"]),
                # Opened in a tab of its own, a preview still runs on an origin of its own.
                ("sandbox", ["allow-forms", "allow-scripts"]),
            ):
                if policy.get(name) != value:
                    problems.append(f"{route.name}: {name} {policy.get(name)}")
            if response.get("X-Frame-Options") != "SAMEORIGIN":
                problems.append(f"{route.name}: X-Frame-Options {response.get('X-Frame-Options')}")
            continue
        for name in ("default-src", "style-src", "img-src", "frame-ancestors", "object-src"):
            if {"'unsafe-inline'", "'unsafe-eval'", "*", "https:", "http:"} & set(
                policy.get(name, [])
            ):
                problems.append(f"{route.name}: {name} {policy[name]}")
        if policy.get("frame-ancestors") != ["'none'"] or response.get("X-Frame-Options") != "DENY":
            problems.append(f"{route.name}: may be framed")
    assert not problems, "\n".join(problems)
    assert seen > 25


def _templates() -> list[Path]:
    return sorted(REPO.glob("templates/**/*.html")) + sorted(
        REPO.glob("apps/*/templates/**/*.html")
    )


TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def test_templates_have_no_inline_script_style_or_handler():
    problems = []
    assert len(_templates()) > 30
    for path in _templates():
        text = path.read_text()
        name = path.relative_to(REPO)
        for attrs, body in SCRIPT.findall(text):
            if "src=" not in attrs or body.strip():
                problems.append(f"{name}: inline <script>")
        if re.search(r"<style\b", text, re.I):
            problems.append(f"{name}: <style> element")
        for tag in TAG.findall(text):
            if re.search(r"\son[a-z]+\s*=", tag, re.I):
                problems.append(f"{name}: event handler attribute in {tag[:60]}")
            if re.search(r"\sstyle\s*=", tag, re.I):
                problems.append(f"{name}: style attribute in {tag[:60]}")
            if re.search(r"=\s*[\"']?\s*javascript:", tag, re.I):
                problems.append(f"{name}: javascript: URL in {tag[:60]}")
            # The local MTurk's worker site frames HITs as MTurk does; the dashboard sandboxes.
            if (
                not str(name).startswith("apps/emulator/")
                and tag.lower().startswith("<iframe")
                and ("sandbox=" not in tag or "allow-same-origin" in tag)
            ):
                problems.append(f"{name}: an iframe that is not sandboxed: {tag[:80]}")
    assert not problems, "\n".join(problems)


def test_static_scripts_build_no_html_from_strings_and_run_no_strings():
    scripts = sorted(REPO.glob("static/js/*.js")) + sorted(REPO.glob("apps/*/static/**/*.js"))
    assert scripts
    banned = re.compile(
        r"\beval\s*\(|new\s+Function\s*\(|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML"
        r"|document\.write|set(?:Timeout|Interval)\s*\(\s*[\"'`]|setAttribute\(\s*[\"'](?:on|style)"
    )
    problems = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()[:80]}"
        for path in scripts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if banned.search(line)
    ]
    assert not problems, "\n".join(problems)


def test_htmx_may_not_evaluate_script():
    base = (REPO / "templates/base.html").read_text()
    assert '"allowEval": false' in base and '"allowScriptTags": false' in base


@pytest.mark.django_db
def test_a_preview_may_run_the_crowd_script_only_when_its_template_loads_it(local_account, carol):
    """From exactly one origin: MTurk's for a sandbox or production account, the local MTurk's
    for a local one (whose workers get its own copy of the script)."""
    from apps.requesters.models import Membership
    from tests.factories import RequesterFactory

    crowd = (
        '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
        '<crowd-form><crowd-input name="label"></crowd-input></crowd-form>'
    )
    sandbox = RequesterFactory(name="Sandbox lab", environment="sandbox")
    Membership.objects.create(user=carol, requester=sandbox, role="manager")
    projects = {
        "plain": make_project(local_account, carol, template=TEMPLATE),
        "local crowd": make_project(local_account, carol, name="Crowd", template=crowd),
        "sandbox crowd": make_project(sandbox, carol, name="Crowd", template=crowd),
    }
    client = Client()
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    policies = {
        name: _policy(
            client.get(f"/batches/projects/{project.pk}/preview/")["Content-Security-Policy"]
        )
        for name, project in projects.items()
    }
    local_origin = local_account.effective_endpoint.rstrip("/")
    assert local_origin.startswith("http://127.0.0.1:")
    assert policies["plain"]["script-src"] == ["'none'"]
    assert policies["local crowd"]["script-src"] == [local_origin]
    assert policies["sandbox crowd"]["script-src"] == ["https://assets.crowd.aws"]
    for policy in policies.values():
        assert policy["sandbox"] == ["allow-forms", "allow-scripts"]
