"""The suppression list page: managers and admins add, import, remove (after confirming) and export; reps and
viewers may only look."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from outreach.models import MessageEvent, Suppression
from outreach.suppression import suppress
from tests.factories import MessageFactory


def _import(client, body: bytes, name: str = "optouts.csv"):
    upload = SimpleUploadedFile(name, body, content_type="text/csv")
    return client.post(reverse("outreach:suppression_import"), {"file": upload})


def test_a_manager_adds_an_address_and_a_domain_by_hand(client, manager_mia):
    client.force_login(manager_mia)

    client.post(reverse("outreach:suppression_add"), {"email": " Ann@Prospect.example ", "note": "asked by phone"})
    client.post(reverse("outreach:suppression_add"), {"email": "@competitor.example"})

    entries = {entry.email: entry for entry in Suppression.objects.all()}
    assert set(entries) == {"ann@prospect.example", "@competitor.example"}
    ann = entries["ann@prospect.example"]
    assert (ann.reason, ann.note, ann.added_by) == (Suppression.Reason.MANUAL, "asked by phone", manager_mia)


def test_an_address_that_is_none_is_refused_with_a_message(client, manager_mia):
    client.force_login(manager_mia)

    response = client.post(reverse("outreach:suppression_add"), {"email": "not an address"})

    assert response.status_code == 422
    assert "Enter an email address or a domain" in response.content.decode()
    assert not Suppression.objects.exists()


def test_reps_and_viewers_see_the_list_but_cannot_change_it(client, rep_alice, viewer_vic):
    entry = suppress("ann@prospect.example", Suppression.Reason.UNSUBSCRIBED)
    for person in (rep_alice, viewer_vic):
        client.force_login(person)
        page = client.get(reverse("outreach:suppressions"))
        assert page.status_code == 200
        assert "ann@prospect.example" in page.content.decode()
        assert "Add by hand" not in page.content.decode()
        assert client.post(reverse("outreach:suppression_add"), {"email": "bob@x.example"}).status_code == 403
        assert _import(client, b"email\nbob@x.example\n").status_code == 403
        remove = {"entry": [entry.pk], "confirm": "yes"}
        assert client.post(reverse("outreach:suppression_remove"), remove).status_code == 403
    assert list(Suppression.objects.values_list("email", flat=True)) == ["ann@prospect.example"]


def test_the_list_is_searched_and_paged(client, rep_alice):
    for number in range(60):
        suppress(f"person{number:02d}@prospect.example", Suppression.Reason.IMPORTED)
    suppress("ann@elsewhere.example", Suppression.Reason.MANUAL)
    client.force_login(rep_alice)

    first = client.get(reverse("outreach:suppressions"))
    second = client.get(reverse("outreach:suppressions"), {"page": 2})
    found = client.get(reverse("outreach:suppressions"), {"q": "ELSEWHERE"})

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 11
    assert [entry.email for entry in found.context["page"]] == ["ann@elsewhere.example"]
    assert client.get(reverse("outreach:suppressions"), {"page": "²"}).status_code == 200


def test_removing_asks_first_then_removes(client, manager_mia):
    ann = suppress("ann@prospect.example", Suppression.Reason.MANUAL)
    bob = suppress("bob@prospect.example", Suppression.Reason.MANUAL)
    client.force_login(manager_mia)

    asked = client.post(reverse("outreach:suppression_remove"), {"entry": [ann.pk]})

    assert asked.status_code == 200
    assert "ann@prospect.example" in asked.content.decode() and "bob@prospect.example" not in asked.content.decode()
    assert Suppression.objects.count() == 2

    client.post(reverse("outreach:suppression_remove"), {"entry": [ann.pk, "x"], "confirm": "yes"})

    assert list(Suppression.objects.all()) == [bob]


def test_an_import_adds_the_good_lines_and_reports_the_bad_ones_by_line(client, manager_mia):
    suppress("listed@prospect.example", Suppression.Reason.UNSUBSCRIBED)
    client.force_login(manager_mia)
    lines = ["Name,Email", "Ann,ann@prospect.example", "Bob,call me", ",", "Cy,@blocked.example"]
    body = "\n".join([*lines, "Dee,LISTED@prospect.example", "Eve,", ""]).encode()

    response = _import(client, body)

    assert response.status_code == 200
    report = response.context["report"]
    assert [(line, cell) for line, cell, _why in report.problems] == [(3, "call me"), (7, "")]
    assert (report.added, report.already_listed) == (2, 1)
    assert set(Suppression.objects.filter(reason=Suppression.Reason.IMPORTED).values_list("email", flat=True)) == {
        "ann@prospect.example",
        "@blocked.example",
    }
    assert Suppression.objects.get(email="listed@prospect.example").reason == Suppression.Reason.UNSUBSCRIBED
    assert "not imported" in response.content.decode()


def test_a_list_of_bare_addresses_keeps_its_first_line(client, admin_ada):
    client.force_login(admin_ada)

    _import(client, b"\xef\xbb\xbfann@prospect.example\nbob@prospect.example\n")

    assert Suppression.objects.count() == 2


def test_a_file_over_the_limit_is_refused_with_a_message(client, manager_mia, settings):
    settings.IMPORT_MAX_BYTES = 10
    client.force_login(manager_mia)

    response = _import(client, b"email\nann@prospect.example\n")

    assert response.status_code == 422
    assert "limit" in response.content.decode()
    assert not Suppression.objects.exists()


def test_the_import_runs_from_the_command_line_and_says_what_it_did(tmp_path, manager_mia, rep_alice):
    path = tmp_path / "optouts.csv"
    path.write_text("email\nann@prospect.example\nnobody\n")
    out = io.StringIO()

    call_command("import_suppressions", str(path), "--user", manager_mia.email, stdout=out)

    assert "optouts.csv: 1 added, 0 listed already." in out.getvalue()
    assert "line 3: 'nobody'" in out.getvalue()
    assert Suppression.objects.get().note == "Imported optouts.csv"
    with pytest.raises(CommandError, match="managers and admins"):
        call_command("import_suppressions", str(path), "--user", rep_alice.email, stdout=out)


def test_the_export_neutralises_formulas(client, manager_mia):
    suppress("ann@prospect.example", Suppression.Reason.MANUAL, note='=HYPERLINK("http://evil.example")')
    client.force_login(manager_mia)

    response = client.get(reverse("outreach:suppression_export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="suppressions-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["email", "reason", "note", "added_by", "created_at"]
    assert rows[1][:3] == ["ann@prospect.example", "manual", '\'=HYPERLINK("http://evil.example")']


@pytest.mark.parametrize("page", ["suppression", "messageevent"])
def test_the_back_office_shows_suppressions_and_events_read_only(client, admin_ada, page):
    suppress("ann@prospect.example", Suppression.Reason.MANUAL)
    MessageEvent.objects.create(message=MessageFactory(), kind=MessageEvent.Kind.OPENED, machine=True)
    client.force_login(admin_ada)

    assert client.get(reverse(f"admin:outreach_{page}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:outreach_{page}_add")).status_code == 403
