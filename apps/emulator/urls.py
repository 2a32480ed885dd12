from pathlib import Path

from django.urls import include, path, re_path
from django.views.static import serve

from . import control, control_simulation, protocol

urlpatterns = [
    path("", protocol.api, name="emulator-api"),
    path("_emulator/reset", control.reset, name="emulator-reset"),
    path("_emulator/clock", control.clock_view, name="emulator-clock"),
    path("_emulator/faults", control.faults, name="emulator-faults"),
    path("_emulator/accept", control.accept, name="emulator-accept"),
    path("_emulator/submit", control.submit, name="emulator-submit"),
    path("_emulator/return", control.return_view, name="emulator-return"),
    path("_emulator/preview", control.preview, name="emulator-preview"),
    path("_emulator/available", control.available, name="emulator-available"),
    path("_emulator/stats", control.stats, name="emulator-stats"),
    path("_emulator/layouts", control.layouts, name="emulator-layouts"),
    path("_emulator/workers", control.workers, name="emulator-workers"),
    path(
        "_emulator/qualification-requests",
        control.qualification_requests,
        name="emulator-qualification-requests",
    ),
    path("_emulator/notifications", control.notifications, name="emulator-notifications"),
    path("_emulator/events", control.events, name="emulator-events"),
    path(
        "_emulator/notifications/flush",
        control_simulation.notifications_flush,
        name="emulator-notifications-flush",
    ),
    path(
        "_emulator/notifications/outbox",
        control_simulation.notifications_outbox,
        name="emulator-notifications-outbox",
    ),
    path(
        "_emulator/notifications/sender",
        control_simulation.notifications_sender,
        name="emulator-notifications-sender",
    ),
    path("_emulator/crowd/work", control_simulation.crowd_work, name="emulator-crowd-work"),
    path("_emulator/crowd/truth", control_simulation.crowd_truth, name="emulator-crowd-truth"),
    path("", include("apps.emulator.worker_site.urls")),
    # The worker site's scripts and styles (crowd elements, timer, forms); no collectstatic.
    re_path(
        r"^static/emulator/(?P<path>[A-Za-z0-9_.-]+)$",
        serve,
        {"document_root": Path(__file__).parent / "static" / "emulator"},
    ),
]

handler404 = "apps.emulator.control.not_found"
handler500 = "apps.emulator.control.server_error"
