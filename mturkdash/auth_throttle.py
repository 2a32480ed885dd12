"""Sign-in throttling: django-axes' rule, plus a limit per address across usernames.

Axes locks a username on an address after AXES_FAILURE_LIMIT failures (5). Alone, that lets
one address try a common password against every username in turn (password spraying), five
tries each. So an address with AXES_ADDRESS_FAILURE_LIMIT failures (30) within the cool-off,
whatever the usernames, is locked out too, for every username, until the cool-off has passed
since those failures.

Behind a proxy, set AXES_PROXY_COUNT so that the address is the client's, not the proxy's:
otherwise one sprayer locks everybody out.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AddressLimitHandler(AxesDatabaseHandler):
    def address_failures(self, request) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures of this username on this address; as many as the limit once the address
        itself has passed its own limit, so that axes locks it whatever the username."""
        failures = super().get_failures(request, credentials)
        if self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
