from apps.requesters.health import requester_mturk_health
from apps.requesters.selectors import memberships_for_user

SESSION_KEY = "current_requester_id"


def current_membership(request):
    """The account chosen in the switcher (kept in the session), or the person's first one."""
    if hasattr(request, "_current_membership"):
        return request._current_membership
    memberships = list(memberships_for_user(request.user))
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    current = next((m for m in memberships if m.requester_id == chosen), None)
    if current is None and memberships:
        current = memberships[0]
    request._current_membership = current
    request._memberships = memberships
    return current


def current_requester(request):
    membership = current_membership(request)
    requester = membership.requester if membership else None
    return {
        "current_membership": membership,
        "current_requester": requester,
        "memberships": getattr(request, "_memberships", []),
        "mturk_health": _Once(lambda: requester_mturk_health(requester)),
    }


class _Once:
    """Looked up when a template first asks (fragments that do not show the banner never do),
    then kept for the rest of the page."""

    def __init__(self, read) -> None:
        self._read = read
        self._done = False
        self._value = None

    def __call__(self):
        if not self._done:
            self._value = self._read()
            self._done = True
        return self._value
