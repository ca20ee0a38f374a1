"""The back office signs in through allauth's form, so one lockout rule (ACCOUNT_RATE_LIMITS) covers every login."""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """Send a visitor to allauth's sign-in, then back to the admin page they asked for; staff who are signed in go
    straight there, and anyone else signed in is refused (the admin's own form would take a password untrottled)."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(next_url)
        raise PermissionDenied("Your account has no access to the back office.")
    query = QueryDict(mutable=True)
    query[REDIRECT_FIELD_NAME] = next_url
    return HttpResponseRedirect(f"{reverse('account_login')}?{query.urlencode(safe='/')}")
