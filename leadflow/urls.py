from django.contrib import admin
from django.urls import include, path

from leadflow.health import healthz

admin.site.site_header = "Leadflow back office"
admin.site.site_title = "Leadflow admin"

urlpatterns = [
    path("", include("crm.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
