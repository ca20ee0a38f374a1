"""One rule for which company a lead works at, whichever way the lead comes in: by domain, then by cleaned name,
the oldest such company winning (crm.companies)."""

import csv
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.companies import companies_oldest_by, company_find, company_find_or_create, company_for_lead
from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import Company, ImportJob, Lead
from crm.services.leads import lead_create, lead_update
from crm.services.versions import lead_version
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Company", "Website"]


def _import(actor, tmp_path: Path, rows: list[list[str]], name: str = "people.csv") -> ImportJob:
    """A file imported the way the cluster runs it."""
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate="skip", queue=False)
    import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    return job


@pytest.fixture
def imported_acme(tmp_path, manager_mia) -> Company:
    """ "Acme", brought in by an import of someone who works there (so its domain is known)."""
    _import(manager_mia, tmp_path, [["Ada", "Lovelace", "ada@acme.example", "Acme", ""]], name="acme.csv")
    return Company.objects.get(name="Acme")


def test_the_import_keeps_the_companys_domain(imported_acme):
    assert (imported_acme.domain, imported_acme.name_key) == ("acme.example", "acme")


def test_a_person_typing_acme_inc_in_the_new_lead_form_finds_the_imported_acme(client, rep_alice, imported_acme):
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_create"),
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace.hopper@gmail.com",
            "company_name": "Acme Inc",
            "stage": default_stage(0).pk,
            "lifecycle": "contact",
        },
    )
    assert response.status_code == 302
    assert Lead.objects.get(last_name="Hopper").company == imported_acme
    assert Company.objects.count() == 1


def test_a_person_typing_acme_inc_on_the_lead_page_finds_the_imported_acme(client, rep_alice, imported_acme):
    lead = LeadFactory(owner=rep_alice, company=None, email="jo@gmail.com", first_name="Jo", last_name="Park")
    client.force_login(rep_alice)
    response = client.post(
        reverse("crm:lead_facts", args=[lead.pk]),
        {
            "first_name": "Jo",
            "last_name": "Park",
            "email": lead.email,
            "lifecycle": "contact",
            "company_name": "ACME, Inc.",
            "version": lead_version(lead),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.company == imported_acme
    assert Company.objects.count() == 1


def test_the_lead_services_find_it_by_its_cleaned_name(rep_alice, imported_acme):
    lead = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", company_name="The Acme Inc.")
    assert lead.company == imported_acme


def test_an_admin_import_with_acme_inc_finds_the_imported_acme(client, manager_mia, imported_acme):
    rows = ["first_name,last_name,email,company", "Charles,Babbage,charles@gmail.com,Acme Inc"]
    upload = SimpleUploadedFile("leads.csv", "\n".join(rows).encode(), content_type="text/csv")
    client.force_login(manager_mia)
    preview = client.post(reverse("admin:crm_lead_import"), {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.context["confirm_form"] is not None, preview.context["result"].row_errors()
    client.post(reverse("admin:crm_lead_process_import"), preview.context["confirm_form"].initial, follow=True)
    assert Lead.objects.get(last_name="Babbage").company == imported_acme
    assert Company.objects.count() == 1


def test_a_second_import_with_acme_inc_finds_the_imported_acme(tmp_path, manager_mia, imported_acme):
    _import(manager_mia, tmp_path, [["Joan", "Clarke", "joan@gmail.com", "Acme Inc", ""]], name="second.csv")
    assert Lead.objects.get(last_name="Clarke").company == imported_acme
    assert Company.objects.count() == 1


def test_a_company_made_by_hand_is_found_by_the_next_import(tmp_path, rep_alice, manager_mia):
    typed = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", company_name="Initech GmbH")
    _import(manager_mia, tmp_path, [["Peter", "Gibbons", "peter@gmail.com", "Initech", ""]])
    assert Lead.objects.get(last_name="Gibbons").company == typed.company
    assert Company.objects.count() == 1


def test_a_website_finds_the_company_whatever_name_was_typed(rep_alice, imported_acme):
    lead = lead_create(
        actor=rep_alice,
        stage=default_stage(0),
        first_name="Jo",
        website="https://www.acme.example/about",
        company_name="Acme Rockets Division",
    )
    assert lead.company == imported_acme
    assert Company.objects.count() == 1


def test_a_work_email_finds_the_company_with_no_name_typed(rep_alice, imported_acme):
    lead = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", email="jo@eu.acme.example")
    assert lead.company == imported_acme


def test_free_mail_finds_no_company(rep_alice, imported_acme):
    lead = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", email="jo@gmail.com")
    assert lead.company is None


def test_an_admin_import_finds_the_company_by_the_rows_email(client, manager_mia, imported_acme):
    rows = ["first_name,last_name,email,company", "Charles,Babbage,charles@acme.example,Babbage Consulting"]
    upload = SimpleUploadedFile("leads.csv", "\n".join(rows).encode(), content_type="text/csv")
    client.force_login(manager_mia)
    preview = client.post(reverse("admin:crm_lead_import"), {"import_file": upload, "format": "0", "resource": "0"})
    client.post(reverse("admin:crm_lead_process_import"), preview.context["confirm_form"].initial, follow=True)
    assert Lead.objects.get(last_name="Babbage").company == imported_acme


def test_an_import_finds_the_company_by_the_rows_website(tmp_path, manager_mia, imported_acme):
    _import(manager_mia, tmp_path, [["Joan", "Clarke", "", "Acme Labs", "acme.example"]], name="second.csv")
    assert Lead.objects.get(last_name="Clarke").company == imported_acme


def test_a_lead_without_a_company_takes_the_one_its_new_email_finds(rep_alice, imported_acme):
    lead = LeadFactory(owner=rep_alice, company=None, email="jo@gmail.com")
    lead_update(lead=lead, actor=rep_alice, email="jo@acme.example")
    lead.refresh_from_db()
    assert lead.company == imported_acme


def test_saving_the_lead_page_unchanged_keeps_a_company_its_domain_would_not_pick(client, rep_alice, imported_acme):
    europe = Company.objects.create(name="Acme Europe")
    lead = LeadFactory(owner=rep_alice, company=europe, email="jo@acme.example", first_name="Jo", last_name="Park")
    client.force_login(rep_alice)
    client.post(
        reverse("crm:lead_facts", args=[lead.pk]),
        {
            "first_name": "Jo",
            "last_name": "Park",
            "email": lead.email,
            "lifecycle": "contact",
            "company_name": "Acme Europe",
        },
        HTTP_HX_REQUEST="true",
    )
    lead.refresh_from_db()
    assert lead.company == europe


def test_the_oldest_company_with_the_name_wins(tmp_path, rep_alice, manager_mia):
    oldest = Company.objects.create(name="Globex")
    Company.objects.create(name="GLOBEX Corporation")
    assert company_find(name="Globex Corp.") == oldest
    lead = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", company_name="Globex, Inc.")
    assert lead.company == oldest
    _import(manager_mia, tmp_path, [["Hank", "Scorpio", "hank@gmail.com", "Globex LLC", ""]])
    assert Lead.objects.get(last_name="Scorpio").company == oldest
    assert Company.objects.count() == 2


def test_the_oldest_company_with_the_domain_wins(tmp_path, rep_alice, manager_mia):
    oldest = Company.objects.create(name="Umbrella", domain="umbrella.example")
    Company.objects.create(name="Umbrella Pharma", domain="umbrella.example")
    lead = lead_create(actor=rep_alice, stage=default_stage(0), first_name="Jo", email="jo@umbrella.example")
    assert lead.company == oldest
    _import(manager_mia, tmp_path, [["Jill", "Valentine", "jill@umbrella.example", "Umbrella Pharma", ""]])
    assert Lead.objects.get(last_name="Valentine").company == oldest


def test_the_domain_wins_over_the_name():
    by_name = Company.objects.create(name="Hooli")
    by_domain = Company.objects.create(name="Hooli XYZ", domain="hooli.example")
    assert company_find(name="Hooli", domain="hooli.example") == by_domain
    assert company_find(name="Hooli", domain="elsewhere.example") == by_name


def test_it_creates_a_company_only_for_a_name():
    assert company_find_or_create(name="  ", domain="nobody.example") is None
    made = company_find_or_create(name=" Pied  Piper ", domain="piedpiper.example")
    assert (made.name, made.domain, made.website) == ("Pied Piper", "piedpiper.example", "https://piedpiper.example")
    assert company_for_lead(name="", email="richard@piedpiper.example") == made


def test_the_bulk_lookup_answers_by_domain_and_by_key_in_two_queries(django_assert_num_queries):
    first = Company.objects.create(name="Vandelay Industries", domain="vandelay.example")
    Company.objects.create(name="Vandelay", domain="vandelay.example")
    with django_assert_num_queries(2):
        by_domain, by_key = companies_oldest_by(["vandelay.example", "", "none.example"], ["vandelay industries", ""])
    assert by_domain == {"vandelay.example": first.pk}
    assert by_key == {"vandelay industries": first.pk}


def test_an_admin_companies_import_updates_the_company_the_rule_finds(client, manager_mia, imported_acme):
    cells = "name,domain,industry\nACME Inc.,https://www.acme.example/,Rockets\nInitech,initech.example,Software\n"
    upload = SimpleUploadedFile("companies.csv", cells.encode(), content_type="text/csv")
    client.force_login(manager_mia)
    preview = client.post(reverse("admin:crm_company_import"), {"import_file": upload, "format": "0"})
    client.post(reverse("admin:crm_company_process_import"), preview.context["confirm_form"].initial)
    imported_acme.refresh_from_db()
    assert (imported_acme.industry, imported_acme.domain) == ("Rockets", "acme.example")
    assert sorted(Company.objects.values_list("name_key", flat=True)) == ["acme", "initech"]


def test_the_admin_keeps_a_companys_domain_as_the_rule_compares_it(client, admin_ada):
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:crm_company_add"), {"name": "Hooli", "domain": "https://www.Hooli.example/about"}
    )
    assert response.status_code == 302
    assert Company.objects.get(name="Hooli").domain == "hooli.example"
    refused = client.post(reverse("admin:crm_company_add"), {"name": "Nowhere", "domain": "not a domain"})
    assert refused.status_code == 200 and "such as acme.com" in refused.content.decode()


def test_a_lead_added_in_the_admin_without_a_company_gets_the_one_its_email_finds(client, admin_ada, imported_acme):
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:crm_lead_add"),
        {
            "first_name": "Jo",
            "email": "jo@acme.example",
            "stage": default_stage(0).pk,
            "lifecycle": "contact",
            "other_emails": "[]",
            "other_phones": "[]",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Lead.objects.get(email="jo@acme.example").company == imported_acme
