"""The local MTurk serves its copy of crowd-html-elements.js at a stable address, so that any
page showing a local HIT as its workers see it (the dashboard's previews) can load it."""

from __future__ import annotations

import re

import requests

from apps.emulator.workers.site.assets import CROWD_DIR, crowd_modules


def test_it_serves_the_crowd_script_as_javascript(emulator_server):
    response = requests.get(f"{emulator_server.url}/assets/crowd-html-elements.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert "customElements.define(name, cls)" in response.text
    assert "crowd-input" in response.text
    # The modules of static/emulator/crowd/, core first, finish last, as one script.
    names = re.findall(r"^/\* crowd/([0-9a-z-]+\.js) \*/$", response.text, re.M)
    assert names == sorted(path.name for path in CROWD_DIR.glob("*.js"))
    assert names[0] == "00-core.js" and names[-1] == "99-finish.js"
    # The worker site's frames load the same script.
    same = requests.get(f"{emulator_server.url}/static/emulator/crowd-html-elements.js")
    assert same.text == response.text
    # Cached by its ETag.
    again = requests.get(
        f"{emulator_server.url}/assets/crowd-html-elements.js",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_every_module_of_the_directory_is_named_to_be_served():
    assert {path.name for path in CROWD_DIR.glob("*.js")} == set(crowd_modules())


def test_it_serves_nothing_else_under_assets(emulator_server):
    for name in ("worker.js", "..%2Fsettings.py", "crowd-html-elements.js.map"):
        response = requests.get(f"{emulator_server.url}/assets/{name}")
        assert response.status_code == 404, name
