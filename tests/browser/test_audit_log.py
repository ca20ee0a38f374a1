"""The audit log page: an admin changes a role, finds it in the log by the filter form, and downloads the CSV."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_an_admin_finds_a_role_change_and_exports_it(page: Page, log_in, admin_ada, rep_alice):
    log_in(admin_ada)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Users").click()
    row = page.locator("tr", has_text=rep_alice.email)
    row.get_by_role("combobox").select_option("Manager")
    row.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option(label="Role changed")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#audit-log tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ada@leadflow.test")
    expect(rows.first).to_contain_text("role: Rep → Manager")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert lines[0][0] == "When (UTC)" and lines[1][4] == "Role changed"
