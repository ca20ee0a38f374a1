"""The mailboxes pages: who may see and change them, secrets never echoed back, the test button, odd ids."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from outreach.mailboxes import mailbox_from_url
from outreach.models import Mailbox, SendCount
from tests.fakes.mail_sink import MailSink


@pytest.fixture
def sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sales(db):
    return mailbox_from_url(
        "smtp://sales:Hunter2-Secret@mail.acme.example:587?tls=1",
        address="sales@acme.example",
        name="Acme Sales",
        postal_address="1 Dock Road, Rotterdam",
        warmup_start=20,
        warmup_step=10,
    )


def form_data(**changes) -> dict:
    data = {
        "name": "Acme Sales", "address": "sales@acme.example", "transport": "smtp", "smtp_host": "mail.acme.example",
        "smtp_port": "587", "smtp_tls": "on", "smtp_user": "sales", "smtp_password": "", "api_key": "",
        "api_domain": "", "api_base_url": "", "daily_cap": "150", "time_zone": "", "window_days": ["mon", "tue"],
        "window_start": "08:00", "window_end": "18:00", "warmup_start": "", "warmup_step": "0",
        "warmup_began_on": "", "signature": "", "postal_address": "1 Dock Road", "active": "on",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_rep_sees_the_list_with_todays_count_and_warm_up(client, rep_alice, sales):
    SendCount.objects.create(scope=SendCount.Scope.MAILBOX, key=str(sales.pk), day=sales.warmup_began_on, sent=7)
    client.force_login(rep_alice)
    page = client.get(reverse("outreach:mailboxes")).content.decode()
    assert "Acme Sales &lt;sales@acme.example&gt;" in page
    assert ">7<" in page
    assert "Warming up: day 1, 20 of 200 a day" in page
    assert reverse("outreach:mailbox_new") not in page
    assert "Hunter2-Secret" not in page


@pytest.mark.parametrize("persona", ["rep_alice", "viewer_vic"])
def test_reps_and_viewers_cannot_change_mailboxes(client, request, persona, sales):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("outreach:mailbox_new")).status_code == 403
    assert client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), form_data(name="Taken")).status_code == 403
    assert client.post(reverse("outreach:mailbox_test", args=[sales.pk]), {"to": "x@y.example"}).status_code == 403
    sales.refresh_from_db()
    assert sales.name == "Acme Sales"


def test_a_manager_adds_a_mailbox(client, manager_mia):
    client.force_login(manager_mia)
    answer = client.post(reverse("outreach:mailbox_new"), form_data(smtp_password="Pa ss-1"))
    mailbox = Mailbox.objects.get()
    assert answer.status_code == 302
    assert (mailbox.smtp_password, mailbox.daily_cap, mailbox.window_days) == ("Pa ss-1", 150, ["mon", "tue"])
    assert mailbox.created_by == manager_mia


def test_a_blank_port_is_the_one_the_tls_choice_implies(client, manager_mia):
    client.force_login(manager_mia)
    client.post(reverse("outreach:mailbox_new"), form_data(smtp_port="", smtp_tls="", smtp_ssl="on"))
    assert Mailbox.objects.get().smtp_port == 465


def test_the_form_never_shows_the_secret_and_blank_keeps_it(client, manager_mia, sales):
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:mailbox_edit", args=[sales.pk])).content.decode()
    assert "Hunter2-Secret" not in page
    assert "One is stored (not shown)" in page
    client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), form_data(name="Acme Sales Team"))
    sales.refresh_from_db()
    assert (sales.name, sales.smtp_password) == ("Acme Sales Team", "Hunter2-Secret")
    client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), form_data(smtp_password="New-Secret"))
    sales.refresh_from_db()
    assert sales.smtp_password == "New-Secret"


def test_a_bad_form_is_shown_again_with_reasons_and_nothing_saved(client, manager_mia, sales):
    client.force_login(manager_mia)
    answer = client.post(
        reverse("outreach:mailbox_edit", args=[sales.pk]),
        form_data(smtp_host="", window_start="19:00", time_zone="Mars/Olympus", name="Changed"),
    )
    page = answer.content.decode()
    assert answer.status_code == 422
    assert "An SMTP mailbox needs its server" in page
    assert "The sending window must end after it starts." in page
    assert "is not a time zone this server knows" in page
    assert "Hunter2-Secret" not in page
    sales.refresh_from_db()
    assert sales.name == "Acme Sales"


def test_the_same_address_in_other_capitals_is_refused(client, manager_mia, admin_ada, sales):
    client.force_login(manager_mia)
    answer = client.post(reverse("outreach:mailbox_new"), form_data(address="Sales@ACME.example"))
    assert answer.status_code == 422
    assert "Mailbox with this Address already exists." in answer.content.decode()
    client.force_login(admin_ada)
    answer = client.post(reverse("admin:outreach_mailbox_add"), form_data(address="SALES@acme.example"))
    assert "Mailbox with this Address already exists." in answer.content.decode()
    assert Mailbox.objects.count() == 1


def test_a_manager_opens_the_empty_form(client, manager_mia):
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:mailbox_new")).content.decode()
    assert 'name="transport"' in page
    # A new mailbox sends on working days.
    assert re.search(r'value="fri"[^>]*checked', page) and not re.search(r'value="sat"[^>]*checked', page)


def test_an_api_transport_needs_a_key(client, manager_mia):
    client.force_login(manager_mia)
    answer = client.post(reverse("outreach:mailbox_new"), form_data(transport="sendgrid"))
    assert answer.status_code == 422
    assert "SendGrid needs an API key." in answer.content.decode()
    assert not Mailbox.objects.exists()


def test_the_test_button_shows_the_result_in_place(client, manager_mia, sink):
    mailbox = mailbox_from_url(f"smtp://{sink.host}:{sink.port}", address="sales@acme.example", name="Acme Sales")
    client.force_login(manager_mia)
    url = reverse("outreach:mailbox_test", args=[mailbox.pk])
    answer = client.post(url, {"to": "mia@leadflow.test"}, headers={"HX-Request": "true"})
    assert "Test sent: Sent a test message to mia@leadflow.test" in answer.content.decode()
    assert len(sink.received_by("mia@leadflow.test")) == 1
    sink.refusals["bounce@leadflow.test"] = "550 5.1.1 Unknown user"
    answer = client.post(url, {"to": "bounce@leadflow.test"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "Test failed: The server refused the message: bounce@leadflow.test: 550 5.1.1 Unknown user" in (
        answer.content.decode()
    )


def test_the_test_button_without_javascript_redirects_with_a_message(client, manager_mia, sales):
    client.force_login(manager_mia)
    answer = client.post(reverse("outreach:mailbox_test", args=[sales.pk]), {"to": ""}, follow=True)
    assert "Give an email address to send the test to." in answer.content.decode()


@pytest.mark.parametrize("odd", ["0", "424242", "99999999999999999999999"])
def test_odd_ids_are_not_found(client, manager_mia, odd):
    client.force_login(manager_mia)
    assert client.get(f"/outreach/mailboxes/{odd}/").status_code == 404
    assert client.post(f"/outreach/mailboxes/{odd}/test/", {"to": "a@b.example"}).status_code == 404


def test_the_admin_hides_secrets_and_saves_through_the_checks(client, admin_ada, sales):
    client.force_login(admin_ada)
    page = client.get(reverse("admin:outreach_mailbox_change", args=[sales.pk])).content.decode()
    assert "Hunter2-Secret" not in page
    answer = client.post(
        reverse("admin:outreach_mailbox_change", args=[sales.pk]), form_data(transport="postmark", api_key="")
    )
    assert answer.status_code == 200
    assert "Postmark needs an API key." in answer.content.decode()
    sales.refresh_from_db()
    assert sales.transport == "smtp"


def test_a_manager_sets_where_replies_are_read_and_the_imap_password_is_never_shown(client, manager_mia, sales):
    client.force_login(manager_mia)
    imap = {"imap_host": "imap.acme.example", "imap_port": "993", "imap_ssl": "on", "imap_user": "sales",
            "imap_folder": "INBOX"}  # fmt: skip
    client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), form_data(**imap, imap_password="Imap-Secret-1"))
    sales.refresh_from_db()
    assert (sales.imap_host, sales.imap_port, sales.imap_password) == ("imap.acme.example", 993, "Imap-Secret-1")
    page = client.get(reverse("outreach:mailbox_edit", args=[sales.pk])).content.decode()
    assert "IMAP host" in page and "Imap-Secret-1" not in page
    client.post(reverse("outreach:mailbox_edit", args=[sales.pk]), form_data(**imap, name="Kept"))
    sales.refresh_from_db()
    assert (sales.name, sales.imap_password) == ("Kept", "Imap-Secret-1")
