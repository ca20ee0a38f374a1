"""The back office: the Django admin for CRM data, its bulk actions, and import and export."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Activity, Company, Lead, LeadList, ListMembership, Pipeline, Stage, StageChange, Tag, User
from crm.services.leads import lead_create, lead_move_stage
from crm.services.lists import list_add_leads
from crm.services.pipelines import pipeline_default
from tests.factories import (
    CompanyFactory,
    LeadFactory,
    LeadListFactory,
    NoteFactory,
    TaskFactory,
    UserFactory,
    default_stage,
)

EDITABLE_MODELS = ["user", "company", "tag", "lead", "leadlist", "listmembership", "pipeline", "stage", "note", "task"]
TIMELINE_MODELS = ["stagechange", "activity"]
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def changelist(model: str) -> str:
    return reverse(f"admin:crm_{model}_changelist")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stage_named(name: str) -> Stage:
    return pipeline_default().stages.get(name=name)


def run_action(client, action: str, leads: list[Lead], **form) -> object:
    """Choose an action for some leads, then submit its intermediate form, as a person would."""
    selection = {"action": action, "_selected_action": [lead.pk for lead in leads]}
    page = client.post(changelist("lead"), selection)
    assert page.status_code == 200
    return client.post(changelist("lead"), {**selection, **form, "apply": "Apply"}, follow=True)


def import_file(client, upload: SimpleUploadedFile, file_format: str) -> object:
    """Upload a file on the import page, check the preview, then confirm it."""
    preview = client.post(
        reverse("admin:crm_lead_import"), {"import_file": upload, "format": file_format, "resource": "0"}
    )
    assert preview.status_code == 200
    confirm_form = preview.context["confirm_form"]
    assert confirm_form is not None, preview.context["result"].invalid_rows or preview.context["result"].row_errors()
    return client.post(reverse("admin:crm_lead_process_import"), confirm_form.initial, follow=True)


# Opening the back office


@pytest.mark.parametrize("model", EDITABLE_MODELS + TIMELINE_MODELS)
def test_it_opens_every_changelist_for_an_admin(client, admin_ada, model):
    LeadFactory(owner=admin_ada)
    client.force_login(admin_ada)
    assert client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("model", EDITABLE_MODELS)
def test_it_opens_every_add_page_for_an_admin(client, admin_ada, model):
    client.force_login(admin_ada)
    assert client.get(reverse(f"admin:crm_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", TIMELINE_MODELS)
def test_it_keeps_the_timeline_read_only(client, admin_ada, model):
    lead_create(actor=admin_ada, stage=default_stage(), first_name="Ann")
    client.force_login(admin_ada)
    row = {"stagechange": StageChange, "activity": Activity}[model]
    change_page = client.get(reverse(f"admin:crm_{model}_change", args=[row.objects.first().pk]))
    assert client.get(reverse(f"admin:crm_{model}_add")).status_code == 403
    assert change_page.status_code == 200
    assert b'name="_save"' not in change_page.content


def test_it_opens_change_pages(client, admin_ada, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    lead_list = LeadListFactory()
    note = NoteFactory(lead=lead)
    task = TaskFactory(lead=lead)
    client.force_login(admin_ada)
    pages = [
        ("lead", lead.pk),
        ("company", lead.company.pk),
        ("user", rep_bob.pk),
        ("leadlist", lead_list.pk),
        ("pipeline", pipeline_default().pk),
        ("stage", lead.stage.pk),
        ("note", note.pk),
        ("task", task.pk),
    ]
    for model, pk in pages:
        assert client.get(reverse(f"admin:crm_{model}_change", args=[pk])).status_code == 200, model


def test_manager_can_open_the_admin(client, manager_mia):
    client.force_login(manager_mia)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(changelist("lead")).status_code == 200


def test_rep_is_sent_to_the_admin_login(client, rep_alice):
    client.force_login(rep_alice)
    response = client.get(changelist("lead"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_shows_a_staff_rep_only_the_leads_a_rep_may_see(client, rep_alice, rep_bob):
    rep_alice.is_staff = True
    rep_alice.save()
    rep_alice.user_permissions.add(Permission.objects.get(codename="view_lead"))
    mine = LeadFactory(owner=rep_alice, last_name="Mine")
    unassigned = LeadFactory(owner=None, last_name="Nobodys")
    LeadFactory(owner=rep_bob, last_name="Bobs")
    client.force_login(rep_alice)
    response = client.get(changelist("lead"))
    shown = set(response.context["cl"].result_list)
    assert shown == {mine, unassigned}


# Query counts


def every_kind_of_row(actor, how_many: int) -> None:
    """Leads with a full timeline, lists, notes and tasks, written by the services as the app would."""
    lead_list = LeadListFactory(created_by=actor)
    for i in range(how_many):
        owner = UserFactory()
        lead = lead_create(actor=actor, stage=default_stage(), first_name=f"Lead {i}", owner=owner, tags="a, b")
        lead.company = CompanyFactory()
        lead.save()
        lead_move_stage(lead=lead, stage=stage_named("Won"), actor=actor)
        list_add_leads(lead_list=lead_list, leads=[lead], actor=actor)
        LeadListFactory(created_by=owner)
        NoteFactory(lead=lead, author=owner)
        TaskFactory(lead=lead, assignee=owner)


def changelist_queries(client, model: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(changelist(model)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", EDITABLE_MODELS + TIMELINE_MODELS)
def test_it_shows_any_changelist_in_a_fixed_number_of_queries(client, admin_ada, model):
    client.force_login(admin_ada)
    every_kind_of_row(admin_ada, 2)
    few = changelist_queries(client, model)
    every_kind_of_row(admin_ada, 10)
    assert changelist_queries(client, model) == few


def lead_changelist_queries(client, how_many: int) -> int:
    hot, _ = Tag.objects.get_or_create(name="hot")
    lead_list = LeadListFactory()
    for lead in LeadFactory.create_batch(how_many):
        lead.tags.add(hot)
        ListMembership.objects.create(lead_list=lead_list, lead=lead)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist("lead"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == Lead.objects.count()
    return len(queries)


def test_it_lists_5_or_60_leads_in_the_same_number_of_queries(client, admin_ada, manager_mia):
    client.force_login(manager_mia)
    few = lead_changelist_queries(client, 5)
    Lead.objects.all().delete()
    many = lead_changelist_queries(client, 60)
    assert few == many


# Bulk actions


def test_it_assigns_an_owner_to_selected_leads(client, manager_mia, rep_alice, rep_bob):
    leads = LeadFactory.create_batch(3, owner=rep_alice)
    untouched = LeadFactory(owner=rep_alice)
    client.force_login(manager_mia)
    response = run_action(client, "assign_owner", leads, owner=rep_bob.pk)
    assert "3 leads assigned to Bob Example." in messages_of(response)
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == rep_bob
    untouched.refresh_from_db()
    assert untouched.owner == rep_alice
    assert Activity.objects.filter(kind=Activity.Kind.OWNER, actor=manager_mia).count() == 3


def test_it_shows_the_intermediate_form_with_the_selected_leads(client, manager_mia, rep_bob):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")
    client.force_login(manager_mia)
    page = client.post(changelist("lead"), {"action": "assign_owner", "_selected_action": [lead.pk]})
    assert b"Grace Hopper" in page.content
    assert b'name="apply"' in page.content
    assert f'value="{lead.pk}"'.encode() in page.content


def test_it_moves_selected_leads_to_a_stage(client, manager_mia):
    leads = LeadFactory.create_batch(2)
    won = stage_named("Won")
    client.force_login(manager_mia)
    response = run_action(client, "move_stage", leads, stage=won.pk)
    assert "2 leads moved to Won." in messages_of(response)
    for lead in leads:
        lead.refresh_from_db()
        assert lead.stage == won
        assert StageChange.objects.filter(lead=lead, to_stage=won, actor=manager_mia).exists()


def test_it_skips_leads_in_another_pipeline_when_moving(client, manager_mia):
    other = Pipeline.objects.create(name="Partners")
    other_stage = Stage.objects.create(pipeline=other, name="Talking")
    lead = LeadFactory(stage=other_stage)
    client.force_login(manager_mia)
    response = run_action(client, "move_stage", [lead], stage=stage_named("Won").pk)
    assert "0 leads moved to Won (1 was already there or could not be changed)." in messages_of(response)
    lead.refresh_from_db()
    assert lead.stage == other_stage


def test_it_adds_selected_leads_to_a_list(client, manager_mia):
    leads = LeadFactory.create_batch(2)
    lead_list = LeadListFactory(name="Q3 webinar")
    client.force_login(manager_mia)
    response = run_action(client, "add_to_list", leads, lead_list=lead_list.pk)
    assert "2 leads added to Q3 webinar." in messages_of(response)
    assert set(lead_list.members.all()) == set(leads)
    assert all(membership.added_by == manager_mia for membership in lead_list.memberships.all())


def test_it_shows_a_refusal_as_an_error_message(client, viewer_vic, rep_bob):
    # A viewer given admin access by hand still may not reassign leads: the service says no.
    viewer_vic.is_staff = True
    viewer_vic.save()
    viewer_vic.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    lead = LeadFactory(owner=None)
    client.force_login(viewer_vic)
    response = run_action(client, "assign_owner", [lead], owner=rep_bob.pk)
    assert response.status_code == 200
    assert "Only managers and admins can reassign leads." in messages_of(response)
    lead.refresh_from_db()
    assert lead.owner is None


def test_it_asks_again_when_the_action_form_is_incomplete(client, manager_mia):
    lead = LeadFactory()
    client.force_login(manager_mia)
    selection = {"action": "move_stage", "_selected_action": [lead.pk], "apply": "Move"}
    response = client.post(changelist("lead"), selection)
    assert response.status_code == 200
    assert response.context["form"].errors["stage"]


# Editing one lead through the admin


def test_it_records_a_stage_change_made_on_the_change_form(client, admin_ada, rep_bob):
    lead = LeadFactory(first_name="Ann", owner=None)
    contacted = stage_named("Contacted")
    client.force_login(admin_ada)
    form = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(stage=contacted.pk, owner=rep_bob.pk, first_name="Annie", tags=[], lifecycle="lead")
    response = client.post(reverse("admin:crm_lead_change", args=[lead.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert (lead.first_name, lead.stage, lead.owner) == ("Annie", contacted, rep_bob)
    assert StageChange.objects.filter(lead=lead, to_stage=contacted, actor=admin_ada).exists()
    assert set(lead.activities.values_list("kind", flat=True)) >= {"updated", "stage", "owner"}


def test_it_creates_a_lead_from_the_add_form_with_its_timeline(client, admin_ada):
    client.force_login(admin_ada)
    data = {
        "first_name": "Linus",
        "email": "linus@example.com",
        "lifecycle": "contact",
        "stage": stage_named("New").pk,
        "score": 0,
        "custom_fields": "{}",
    }
    response = client.post(reverse("admin:crm_lead_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = Lead.objects.get(email="linus@example.com")
    assert lead.activities.filter(kind=Activity.Kind.CREATED).exists()
    assert lead.stage_changes.filter(from_stage=None).exists()


def test_it_deletes_selected_leads_with_their_timeline(client, admin_ada):
    lead = LeadFactory()
    client.force_login(admin_ada)
    selection = {"action": "delete_selected", "_selected_action": [lead.pk]}
    confirm = client.post(changelist("lead"), selection)
    assert b"Yes, I\xe2\x80\x99m sure" in confirm.content
    client.post(changelist("lead"), {**selection, "post": "yes"})
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_it_turns_a_refused_stage_move_into_an_error_message(client, admin_ada):
    other_stage = Stage.objects.create(pipeline=Pipeline.objects.create(name="Partners"), name="Talking")
    lead = LeadFactory(first_name="Ann")
    client.force_login(admin_ada)
    form = client.get(reverse("admin:crm_lead_change", args=[lead.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(stage=other_stage.pk, first_name="Annie", tags=[])
    response = client.post(reverse("admin:crm_lead_change", args=[lead.pk]), data, follow=True)
    assert response.status_code == 200
    assert "That stage belongs to another pipeline." in messages_of(response)
    lead.refresh_from_db()
    # The whole save was rolled back, the name change with it.
    assert (lead.first_name, lead.stage) == ("Ann", default_stage())


# Lists, notes, tasks and users through the services


def test_it_creates_a_list_for_its_author(client, manager_mia):
    client.force_login(manager_mia)
    data = {"name": "Webinar", "folder": "Events", "description": "", "tags": [Tag.objects.create(name="q3").pk]}
    response = client.post(reverse("admin:crm_leadlist_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead_list = LeadList.objects.get(name="Webinar")
    assert lead_list.created_by == manager_mia
    assert list(lead_list.tags.values_list("name", flat=True)) == ["q3"]


def test_it_adds_a_list_member_with_a_timeline_line(client, manager_mia):
    lead = LeadFactory()
    lead_list = LeadListFactory(name="Webinar")
    client.force_login(manager_mia)
    response = client.post(reverse("admin:crm_listmembership_add"), {"lead_list": lead_list.pk, "lead": lead.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert lead_list.memberships.get(lead=lead).added_by == manager_mia
    assert lead.activities.filter(kind=Activity.Kind.LIST, summary="Added to list Webinar").exists()


def test_it_adds_a_note_with_a_timeline_line(client, manager_mia):
    lead = LeadFactory()
    client.force_login(manager_mia)
    response = client.post(reverse("admin:crm_note_add"), {"lead": lead.pk, "body": "Called, no answer"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert lead.notes.get().author == manager_mia
    assert lead.activities.filter(kind=Activity.Kind.NOTE).exists()


def test_it_marks_selected_tasks_done(client, manager_mia):
    task = TaskFactory()
    client.force_login(manager_mia)
    response = client.post(changelist("task"), {"action": "mark_done", "_selected_action": [task.pk]}, follow=True)
    assert "1 task marked done." in messages_of(response)
    task.refresh_from_db()
    assert task.done
    assert task.lead.activities.filter(kind=Activity.Kind.TASK_DONE, actor=manager_mia).exists()


def test_it_sets_the_role_of_selected_users(client, admin_ada, rep_bob):
    client.force_login(admin_ada)
    selection = {"action": "set_role", "_selected_action": [rep_bob.pk]}
    assert client.post(changelist("user"), selection).status_code == 200
    response = client.post(changelist("user"), {**selection, "role": "Manager", "apply": "Set role"}, follow=True)
    assert "1 user is now Manager." in messages_of(response)
    rep_bob.refresh_from_db()
    assert rep_bob.is_staff
    assert list(rep_bob.groups.values_list("name", flat=True)) == ["Manager"]


def test_it_adds_a_user_who_logs_in_by_email(client, admin_ada):
    client.force_login(admin_ada)
    data = {
        "email": "New.Person@Example.com",
        "first_name": "New",
        "last_name": "Person",
        "usable_password": "true",
        "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42",
    }
    response = client.post(reverse("admin:crm_user_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a long enough passphrase 42")


def test_it_only_lets_admins_change_pipelines(client, manager_mia):
    client.force_login(manager_mia)
    assert client.get(changelist("pipeline")).status_code == 200
    assert client.get(reverse("admin:crm_pipeline_add")).status_code == 403


# Import and export


def test_it_imports_leads_from_csv(client, manager_mia, rep_bob):
    CompanyFactory(name="Acme")
    rows = [
        "first_name,last_name,email,company,owner,stage,tags",
        'Ada,Lovelace,ada@engines.example,Acme,bob@leadflow.test,Contacted,"Hot, fintech"',
        "Charles,Babbage,charles@engines.example,Difference Ltd,,,",
    ]
    upload = SimpleUploadedFile("leads.csv", "\n".join(rows).encode(), content_type="text/csv")
    client.force_login(manager_mia)
    response = import_file(client, upload, CSV_FORMAT)
    assert "Import finished: 2 new, 0 updated, 0 deleted and 0 skipped leads." in messages_of(response)
    ada = Lead.objects.get(email="ada@engines.example")
    assert (ada.company.name, ada.owner, ada.stage) == ("Acme", rep_bob, stage_named("Contacted"))
    assert sorted(ada.tags.values_list("name", flat=True)) == ["fintech", "hot"]
    assert Company.objects.filter(name="Acme").count() == 1
    charles = Lead.objects.get(email="charles@engines.example")
    assert (charles.company.name, charles.owner, charles.stage) == ("Difference Ltd", None, stage_named("New"))
    assert charles.activities.filter(kind=Activity.Kind.CREATED, actor=manager_mia).exists()


def test_it_imports_leads_from_xlsx(client, admin_ada):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["first_name", "last_name", "email", "company", "stage", "tags"])
    sheet.append(["Grace", "Hopper", "grace@navy.example", "Navy", "Replied", "cobol"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile(
        "leads.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    client.force_login(admin_ada)
    response = import_file(client, upload, XLSX_FORMAT)
    assert "Import finished: 1 new, 0 updated, 0 deleted and 0 skipped leads." in messages_of(response)
    grace = Lead.objects.get(email="grace@navy.example")
    assert (grace.full_name, grace.company.name, grace.stage.name) == ("Grace Hopper", "Navy", "Replied")
    assert list(grace.tags.values_list("name", flat=True)) == ["cobol"]


def test_it_updates_a_lead_by_id_and_records_the_stage_change(client, manager_mia):
    lead = LeadFactory(first_name="Old")
    won = stage_named("Won")
    upload = SimpleUploadedFile("leads.csv", f"id,first_name,stage\n{lead.pk},Augusta,Won\n".encode())
    client.force_login(manager_mia)
    response = import_file(client, upload, CSV_FORMAT)
    assert "Import finished: 0 new, 1 updated, 0 deleted and 0 skipped leads." in messages_of(response)
    lead.refresh_from_db()
    assert (lead.first_name, lead.stage) == ("Augusta", won)
    assert StageChange.objects.filter(lead=lead, to_stage=won, actor=manager_mia).exists()


def test_it_reports_an_unknown_owner_instead_of_importing(client, manager_mia):
    upload = SimpleUploadedFile("leads.csv", b"first_name,owner\nEve,nobody@nowhere.example\n")
    client.force_login(manager_mia)
    preview = client.post(reverse("admin:crm_lead_import"), {"import_file": upload, "format": CSV_FORMAT})
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert b"There is no user with the email address" in preview.content
    assert not Lead.objects.filter(first_name="Eve").exists()


def export_leads(client, leads: list[Lead], file_format: str) -> bytes:
    """Export some leads through the admin's export action: choose the action, then the format."""
    page = client.post(changelist("lead"), {"action": "export_admin_action", "_selected_action": [x.pk for x in leads]})
    assert page.status_code == 200
    form = page.context["form"]
    chosen = {name: "on" for name in form.fields if name.startswith("leadresource_")}
    data = {"format": file_format, "resource": "0", "export_items": [x.pk for x in leads], **chosen}
    response = client.post(reverse("admin:crm_lead_export"), data)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def test_it_neutralises_formulas_in_a_csv_export(client, admin_ada):
    lead = LeadFactory(first_name='=HYPERLINK("x")', last_name="+1", phone="+44 20 7946 0000", title="Boss")
    client.force_login(admin_ada)
    content = export_leads(client, [lead], CSV_FORMAT)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert rows[0]["first_name"] == '\'=HYPERLINK("x")'
    assert rows[0]["last_name"] == "'+1"
    assert rows[0]["title"] == "Boss"
    assert rows[0]["stage"] == "New"


def test_it_neutralises_formulas_in_an_xlsx_export(client, admin_ada):
    lead = LeadFactory(first_name='=HYPERLINK("x")', last_name="@SUM(A1)")
    client.force_login(admin_ada)
    content = export_leads(client, [lead], XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, row = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    cells = dict(zip(header, row, strict=True))
    assert cells["first_name"] == '\'=HYPERLINK("x")'
    assert cells["last_name"] == "'@SUM(A1)"
    assert sheet.cell(row=2, column=header.index("first_name") + 1).data_type == "s"


def test_it_imports_back_what_it_exported(client, admin_ada):
    # Stored values are normalised (names capitalised, phones in E.164), so a round trip keeps them as they are.
    lead = LeadFactory(first_name="=Cmd", phone="+442079460000")
    lead.tags.add(Tag.objects.create(name="vip"))
    client.force_login(admin_ada)
    content = export_leads(client, [lead], CSV_FORMAT)
    Lead.objects.all().delete()
    response = import_file(client, SimpleUploadedFile("leads.csv", content), CSV_FORMAT)
    assert "Import finished: 1 new, 0 updated, 0 deleted and 0 skipped leads." in messages_of(response)
    copy = Lead.objects.get()
    assert (copy.first_name, copy.phone) == ("=Cmd", "+442079460000")
    assert list(copy.tags.values_list("name", flat=True)) == ["vip"]


def test_it_exports_companies_with_formulas_neutralised(client, manager_mia):
    CompanyFactory(name="-Minus Corp")
    client.force_login(manager_mia)
    form = client.get(reverse("admin:crm_company_export")).context["form"]
    chosen = {name: "on" for name in form.fields if name.startswith("companyresource_")}
    response = client.post(reverse("admin:crm_company_export"), {"format": CSV_FORMAT, "resource": "0", **chosen})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0]["name"] == "'-Minus Corp"


def test_it_imports_companies_from_csv(client, manager_mia):
    upload = SimpleUploadedFile("companies.csv", b"name,domain,industry\nInitech,initech.example,Software\n")
    client.force_login(manager_mia)
    preview = client.post(reverse("admin:crm_company_import"), {"import_file": upload, "format": CSV_FORMAT})
    confirm = client.post(reverse("admin:crm_company_process_import"), preview.context["confirm_form"].initial)
    assert confirm.status_code == 302
    assert Company.objects.get(name="Initech").domain == "initech.example"
