"""Every main page, the back office included, works under the strict Content-Security-Policy (DEBUG off, as in
production): the browser reports no blocked script, style or handler and logs no error."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from crm.models import ImportJob
from tests.browser.conftest import PASSWORD
from tests.factories import LeadFactory, LeadListFactory, TaskFactory

pytestmark = pytest.mark.browser

# Runs in every document before its own scripts; a blocked inline style, script or handler fires this event.
RECORD_VIOLATIONS = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.policyViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${where}`);
});
"""


@pytest.fixture
def watched_page(page: Page) -> tuple[Page, list[str]]:
    """The browser tab, recording policy violations in each page and every console error or warning."""
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(f"{page.url}: {message.text}")

    page.on("console", record)
    page.on("pageerror", lambda error: console.append(f"{page.url}: {error}"))
    return page, console


def assert_clean(page: Page, console: list[str]) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.policyViolations") == [], page.url
    assert console == []


def test_the_main_pages_and_the_back_office_run_under_the_policy(watched_page, admin_ada, rep_bob, tmp_path):
    assert not settings.DEBUG
    page, console = watched_page
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", owner=admin_ada)
    TaskFactory(lead=lead, assignee=admin_ada)
    LeadListFactory(name="Trade fair")

    # The back office's sign-in is allauth's form.
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin/$"))
    assert_clean(page, console)
    page.get_by_label("Email").fill(admin_ada.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert_clean(page, console)

    pages = [
        reverse("crm:dashboard"),
        reverse("crm:leads"),
        reverse("crm:lead", args=[lead.pk]),
        reverse("crm:lead_create"),
        reverse("crm:board"),
        reverse("crm:lists"),
        reverse("crm:tasks"),
        reverse("crm:duplicates"),
        reverse("crm:imports"),
        reverse("crm:settings_pipeline"),
        reverse("crm:settings_users"),
        reverse("admin:crm_lead_changelist"),
        reverse("admin:crm_lead_change", args=[lead.pk]),
        reverse("admin:crm_lead_add"),
        reverse("admin:crm_lead_import"),
        reverse("admin:crm_company_changelist"),
        reverse("admin:crm_user_changelist"),
    ]
    for url in pages:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert_clean(page, console)

    # An upload, its mapping page and the live preview it redraws.
    page.goto(reverse("crm:imports"))
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("First Name,Email,Notes\nAda,ada@engines.example,likes maths\n")
    page.get_by_label("CSV or Excel file").set_input_files(csv_file)
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns of people.csv")).to_be_visible()
    page.get_by_label("Field for Notes").select_option(label="Notes")
    expect(page.locator("#preview")).not_to_contain_text("Notes:")
    assert_clean(page, console)
    assert ImportJob.objects.count() == 1

    # The back office's export of selected leads.
    page.goto(reverse("admin:crm_lead_changelist"))
    page.locator(f'input[name="_selected_action"][value="{lead.pk}"]').check()
    page.locator('select[name="action"]').select_option(value="export_admin_action")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Export 1 selected item.")).to_be_visible()
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    expect(fields.first).to_be_checked()
    page.get_by_label("Select all").uncheck()  # wired by static/js/admin_export.js, not an inline handler
    expect(fields.first).not_to_be_checked()
    expect(fields.last).not_to_be_checked()
    assert_clean(page, console)
