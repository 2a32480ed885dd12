from apps.requesters.access import current_membership
from apps.requesters.health import requester_mturk_health


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
