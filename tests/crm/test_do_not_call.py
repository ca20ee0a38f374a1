"""Staff upload do-not-call lists; the numbers are flagged on every lead that has them."""

import pytest
from django.urls import reverse

from crm.models import DoNotCallNumber
from tests.factories import LeadFactory


def _upload(client, name: str, body: bytes, region: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("crm:settings_do_not_call"),
        {"file": SimpleUploadedFile(name, body, content_type="text/csv"), "region": region},
    )


def test_a_manager_uploads_a_list_and_bad_cells_are_reported_with_their_line(client, manager_mia):
    client.force_login(manager_mia)
    body = b"Name,Phone\nAda,+44 7911 123456\nBob,call me maybe\nCy,020 7946 0958\nAda again,+447911123456\n"
    response = _upload(client, "dnc.csv", body, region="GB")
    assert response.status_code == 200
    assert set(DoNotCallNumber.objects.values_list("number", flat=True)) == {"+447911123456", "+442079460958"}
    problems = response.context["report"].problems
    assert [(line, cell) for line, cell, _why in problems] == [(3, "call me maybe")]
    assert b"not read as phone numbers" in response.content
    assert DoNotCallNumber.objects.get(number="+447911123456").added_by == manager_mia


def test_a_list_without_a_header_keeps_its_first_number(client, admin_ada):
    client.force_login(admin_ada)
    _upload(client, "numbers.csv", b"+14155550100\n+14155550101\n+14155550102\n")
    assert DoNotCallNumber.objects.count() == 3


def test_uploading_again_adds_only_what_is_new(client, manager_mia):
    client.force_login(manager_mia)
    _upload(client, "a.csv", b"phone\n+14155550100\n")
    response = _upload(client, "b.csv", b"phone\n+14155550100\n+14155550101\n")
    report = response.context["report"]
    assert (report.added, report.already_listed) == (1, 1)


def test_a_file_that_is_no_table_gets_a_message(client, manager_mia):
    client.force_login(manager_mia)
    response = _upload(client, "empty.csv", b"")
    assert response.status_code == 422
    assert DoNotCallNumber.objects.count() == 0


def test_reps_may_not_change_the_list(client, rep_alice):
    client.force_login(rep_alice)
    assert _upload(client, "dnc.csv", b"phone\n+14155550100\n").status_code == 403
    assert client.post(reverse("crm:do_not_call_remove"), {"number": "+14155550100"}).status_code == 403
    assert DoNotCallNumber.objects.count() == 0


def test_a_lead_whose_number_is_listed_shows_do_not_call(client, manager_mia):
    lead = LeadFactory(phone="+14155550100", other_phones=["+14155550199"])
    DoNotCallNumber.objects.create(number="+14155550199")
    client.force_login(manager_mia)
    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert page.count("Do not call") == 1
    DoNotCallNumber.objects.create(number="+14155550100")
    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert page.count("Do not call") == 2


def test_a_manager_removes_numbers_after_confirming(client, manager_mia):
    DoNotCallNumber.objects.create(number="+14155550100")
    DoNotCallNumber.objects.create(number="+14155550101")
    client.force_login(manager_mia)
    page = client.get(reverse("crm:settings_do_not_call")).content.decode()
    assert "data-confirm" in page
    client.post(reverse("crm:do_not_call_remove"), {"number": ["+14155550100"]})
    assert list(DoNotCallNumber.objects.values_list("number", flat=True)) == ["+14155550101"]


@pytest.mark.parametrize("query", ["4155550101", "+1 415"])
def test_the_list_can_be_searched(client, manager_mia, query):
    DoNotCallNumber.objects.create(number="+14155550100")
    DoNotCallNumber.objects.create(number="+14155550101")
    client.force_login(manager_mia)
    response = client.get(reverse("crm:settings_do_not_call"), {"q": query})
    found = [entry.number for entry in response.context["page"]]
    assert "+14155550101" in found


def test_the_us_registrys_area_code_and_number_file_is_read(client, manager_mia):
    # The National Do Not Call Registry's flat file: one area code and number per line, separated by a comma.
    client.force_login(manager_mia)
    _upload(client, "201.txt", b"201,2001234\n201,2001235\n201,2001236\n")
    assert set(DoNotCallNumber.objects.values_list("number", flat=True)) == {
        "+12012001234",
        "+12012001235",
        "+12012001236",
    }


def test_an_xlsx_list_is_read_too(client, manager_mia):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Name", "Mobile"])
    book.active.append(["Ada", "+44 7400 123456"])
    data = BytesIO()
    book.save(data)
    client.force_login(manager_mia)
    client.post(
        reverse("crm:settings_do_not_call"),
        {"file": SimpleUploadedFile("dnc.xlsx", data.getvalue()), "region": ""},
    )
    assert list(DoNotCallNumber.objects.values_list("number", flat=True)) == ["+447400123456"]
