from pathlib import Path

from django.urls import include, path, re_path
from django.views.static import serve

from .control import simulation, surveys, views
from .operations import endpoint
from .workers.site import assets

urlpatterns = [
    path("", endpoint.api, name="emulator-api"),
    path("_emulator/reset", views.reset, name="emulator-reset"),
    path("_emulator/clock", views.clock_view, name="emulator-clock"),
    path("_emulator/faults", views.faults, name="emulator-faults"),
    path("_emulator/accept", views.accept, name="emulator-accept"),
    path("_emulator/submit", views.submit, name="emulator-submit"),
    path("_emulator/return", views.return_view, name="emulator-return"),
    path("_emulator/preview", views.preview, name="emulator-preview"),
    path("_emulator/available", views.available, name="emulator-available"),
    path("_emulator/stats", views.stats, name="emulator-stats"),
    path("_emulator/layouts", views.layouts, name="emulator-layouts"),
    path("_emulator/workers", views.workers, name="emulator-workers"),
    path(
        "_emulator/qualification-requests",
        views.qualification_requests,
        name="emulator-qualification-requests",
    ),
    path("_emulator/notifications", views.notifications, name="emulator-notifications"),
    path("_emulator/events", views.events, name="emulator-events"),
    path(
        "_emulator/notifications/flush",
        simulation.notifications_flush,
        name="emulator-notifications-flush",
    ),
    path(
        "_emulator/notifications/outbox",
        simulation.notifications_outbox,
        name="emulator-notifications-outbox",
    ),
    path(
        "_emulator/notifications/sender",
        simulation.notifications_sender,
        name="emulator-notifications-sender",
    ),
    path("_emulator/crowd/work", simulation.crowd_work, name="emulator-crowd-work"),
    path("_emulator/crowd/truth", simulation.crowd_truth, name="emulator-crowd-truth"),
    path("_emulator/surveys", surveys.surveys, name="emulator-surveys"),
    path("_emulator/surveys/<str:key>", surveys.survey_detail, name="emulator-survey"),
    path("", include("apps.emulator.workers.site.urls")),
    # The local copy of MTurk's crowd-html-elements.js at a stable address, for any page that
    # shows a local HIT the way its workers see it (the dashboard's previews load it from here),
    # and where the worker site's frames load it.
    path("assets/crowd-html-elements.js", assets.crowd_script, name="emulator-crowd-script"),
    path("static/emulator/crowd-html-elements.js", assets.crowd_script),
    # The worker site's scripts and styles (crowd elements, timer, forms); no collectstatic.
    re_path(
        r"^static/emulator/(?P<path>[A-Za-z0-9_.-]+)$",
        serve,
        {"document_root": Path(__file__).parent / "static" / "emulator"},
    ),
]

handler404 = "apps.emulator.control.common.not_found"
handler500 = "apps.emulator.control.common.server_error"
