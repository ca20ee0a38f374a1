"""Real export files from the tools sales teams use, imported end to end through the command."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.models import ImportJob, Lead, LeadList

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("import_leads", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        "apollo_export.csv",
        "sales_navigator.csv",
        "hubspot_contacts.csv",
        "salesforce_leads.csv",
        "hunter_export.csv",
        "phantombuster_profiles.csv",
        "handtyped_semicolon_cp1252.csv",
        "utf16_tab.tsv",
        "quoted_newlines.csv",
        "quoted_pipe.csv",
        "contacts.xlsx",
    ],
)
def test_every_tools_export_imports_and_accounts_for_every_row(admin_ada, name):
    output = _run(str(DATA / name))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.rows_read > 0
    # Every row read is imported, merged into an earlier one, or rejected with a reason: nothing vanishes.
    assert job.rows_read == job.rows_imported + job.rows_updated + job.rows_skipped + job.rows_rejected
    assert job.rejections.filter(kind="rejected").count() == job.rows_rejected
    assert Lead.objects.filter(import_job=job).count() == job.rows_imported
    assert f"{job.rows_read} rows read, {job.rows_imported} imported" in output


def test_accents_and_encodings_survive(admin_ada):
    _run(str(DATA / "handtyped_semicolon_cp1252.csv"))
    names = {f"{lead.first_name} {lead.last_name}" for lead in Lead.objects.all()}
    assert any("ü" in name or "é" in name or "ë" in name for name in names), names


def test_quoted_newlines_stay_in_one_note(admin_ada):
    _run(str(DATA / "quoted_newlines.csv"))
    clara = Lead.objects.get(email="clara@tardis-travel.example")
    assert 'Says: "send the deck first".' in clara.notes.get().body


def test_the_messy_file_reports_each_problem_and_loses_nothing_valid(admin_ada):
    output = _run(str(DATA / "messy.csv"))
    job = ImportJob.objects.get()
    problems = list(job.rejections.values_list("line", "column", "reason", "kind"))
    reasons = " | ".join(reason for _, _, reason, _ in problems)
    assert "scientific notation" in reasons
    assert "more cell(s) than the header" in reasons
    alice = Lead.objects.get(email="alice@acme.example")
    # The second "Email" column is kept among her other addresses, the phone Excel mangled among the custom fields.
    assert alice.other_emails == ["alice.personal@mail.example"]
    assert alice.custom_fields["Phone (invalid)"] == "4.47911E+11"
    assert alice.website == "https://acme.example"
    assert "line" in output
    assert job.rows_read == job.rows_imported + job.rows_skipped + job.rows_updated + job.rows_rejected


def test_list_mapping_file_and_duplicate_choice(admin_ada, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Keywords": "tags"}))
    _run(str(DATA / "apollo_export.csv"), "--list", "Apollo May", "--mapping", str(mapping))
    lead_list = LeadList.objects.get(name="Apollo May")
    assert lead_list.members.count() == Lead.objects.count()
    assert Lead.objects.filter(tags__isnull=False).exists()
    output = _run(str(DATA / "apollo_export.csv"), "--on-duplicate", "fill")
    second = ImportJob.objects.order_by("-pk").first()
    assert second.rows_imported == 0
    assert second.rows_read == second.rows_updated + second.rows_skipped + second.rows_rejected
    assert "0 imported" in output


def test_a_dry_run_changes_nothing(admin_ada):
    output = _run(str(DATA / "hunter_export.csv"), "--dry-run")
    assert "Dry run: nothing was saved." in output
    assert "imported" in output
    assert not Lead.objects.exists() and not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "This file is empty."),
        ("not_a_table.csv", "not a table"),
        ("only_header.csv", "no data rows"),
        ("zip_bomb.xlsx", "suspiciously"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(admin_ada, name, message):
    with pytest.raises(CommandError, match=message):
        _run(str(DATA / name))
    assert not ImportJob.objects.exists() and not Lead.objects.exists()


def test_it_needs_a_user_to_act_as(db):
    with pytest.raises(CommandError, match="No such active user"):
        _run(str(DATA / "hunter_export.csv"))
