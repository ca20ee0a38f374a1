from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.selectors import dashboard as dashboard_data


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/dashboard.html", {"dash": dashboard_data(request.user)})
