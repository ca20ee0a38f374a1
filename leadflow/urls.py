from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from leadflow.admin_login import admin_login
from leadflow.ai_settings import ai_settings, ai_settings_test
from leadflow.audit_pages import audit_log, audit_log_export
from leadflow.health import healthz
from leadflow.metrics import metrics
from outreach.provider_events import mailgun_inbound, mailgun_tracking

admin.site.site_header = "Leadflow back office"
admin.site.site_title = "Leadflow admin"
# A lost database connection is a 503 with Retry-After, not a server error.
handler500 = "leadflow.outage.server_error"

urlpatterns = [
    path("", include("crm.urls")),
    path("enrichment/", include("enrichment.urls")),
    path("capture/", include("scraping.urls")),
    path("analytics/", include("analytics.urls")),
    path("", include("outreach.urls")),  # /outreach/... and /inbox/
    path("hooks/twilio/", include("outreach.twilio_urls")),
    path("hooks/", include("scraping.hooks_urls")),
    # Links in sent mail (open pixel, click redirects, unsubscribe), short and at the root.
    path("", include("outreach.tracking_urls")),
    # Ahead of anymail's own view of the same URL, which fails with a server error while the signing key is unset.
    path("anymail/mailgun/tracking/", mailgun_tracking),
    re_path(r"^anymail/mailgun/inbound(_mime)?/$", mailgun_inbound),
    path("anymail/", include("anymail.urls")),
    path("settings/ai/", ai_settings, name="ai_settings"),
    path("settings/ai/test/", ai_settings_test, name="ai_settings_test"),
    path("settings/audit/", audit_log, name="audit_log"),
    path("settings/audit/export.csv", audit_log_export, name="audit_log_export"),
    path("accounts/", include("allauth.urls")),
    # Before the admin's own URLs: its login form would take passwords without allauth's lockout.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # Browsers ask for /favicon.ico whatever the page says; the static name is looked up when asked (hashed in
    # production, where the manifest may not exist yet when URLs load).
    path("favicon.ico", login_not_required(RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True))),
]

# The REST API (/api/v1/), its OpenAPI schema and docs pages.
urlpatterns += [path("", include("leadflow.api.urls"))]
