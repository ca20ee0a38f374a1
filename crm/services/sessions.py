"""Ending a person's sessions: "Sign out everywhere", and the site's idle limit."""

from __future__ import annotations

import time

from django.contrib.auth import logout
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from crm.locale import site_settings
from crm.models import User
from leadflow.audit import record

# When the session was last used (seconds since the epoch), refreshed at most once a minute: saving the session on
# every request would write to its store for every page and htmx poll.
LAST_SEEN_KEY = "leadflow.last_seen"
TOUCH_EVERY_SECONDS = 60


@transaction.atomic
def sessions_sign_out_everywhere(*, request: HttpRequest) -> None:
    """End every session of the signed-in user, this one included: raising the user's session generation changes
    the hash each session holds (see User._get_session_auth_hash), so Django refuses them all at their next
    request, in whichever store they are kept."""
    user = request.user
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    record("sessions.signed_out_everywhere", request=request)
    logout(request)


def session_idle_expired(request: HttpRequest, *, now: float | None = None) -> bool:
    """True when the signed-in session has been idle past the site's limit; otherwise note that it is in use."""
    limit_minutes = site_settings().session_idle_minutes
    if not limit_minutes:
        return False
    now = int(time.time() if now is None else now)
    last_seen = request.session.get(LAST_SEEN_KEY)
    if isinstance(last_seen, int) and now - last_seen > limit_minutes * 60:
        return True
    if not isinstance(last_seen, int) or now - last_seen >= TOUCH_EVERY_SECONDS:
        request.session[LAST_SEEN_KEY] = now
    return False
