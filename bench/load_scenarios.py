"""What bench/load.py's simulated people do, as locust users: staff who sign in and work the CRM through its pages,
and the providers whose signed webhooks arrive at a steady rate. Imported only by the locust process (locust patches
the standard library with gevent when it is imported, so nothing here may run inside the server's processes).

The plan (a JSON file written by bench/load.py) says where the server is, who signs in, and the secrets and ids the
webhooks need. Each request is named after the page or endpoint it measures, so the figures read per endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import re
import time
from urllib.parse import urlencode

from locust import HttpUser, between, constant_throughput, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# Filled by `scenarios_configure` before any user starts.
PLAN: dict = {}

LEAD_LINK = re.compile(r'href="/leads/(\d+)/"')
CARD = re.compile(r'<article class="card" data-lead="(\d+)" data-stage="(\d+)"( data-movable)?')
COLUMN = re.compile(r'<div class="cards" id="cards-\d+" data-stage="(\d+)" data-kind="(\w*)"')
SORTS = ["name", "company", "-score", "-value", "-updated", "created"]
NOTES = [
    "Called, left a voicemail; try again Thursday.",
    "Asked for pricing for 40 seats; sending the deck.",
    "Met at the booth, interested in the Q3 pilot.",
    "Decision maker is the CFO, intro promised next week.",
]
# Where a moved card may go: open stages only (a lost stage asks for a reason, a won one closes the deal).
OPEN_STAGE_KINDS = {"open", ""}
# Each webhook user sends at most this many a second (locust's constant_throughput), so the rate is spread over
# several concurrent senders, as providers post in parallel.
WEBHOOKS_PER_SENDER = 5.0


class BrowserResend(Retry):
    """A page request sent again, once, when its kept-alive connection was closed under it (RFC 9112 section 9.3.1:
    browsers resend idempotent requests then). The server closes idle connections as a gunicorn worker restarts after
    max_requests, and one may cross a request in flight; each resend is counted and printed with the figures."""

    def increment(self, *args, **kwargs):
        resend = super().increment(*args, **kwargs)  # raises when none is left
        PLAN["resent"] = PLAN.get("resent", 0) + 1
        return resend


def scenarios_configure(plan: dict) -> None:
    PLAN.clear()
    PLAN.update(plan)
    ProviderWebhooks.wait_time = constant_throughput(plan["webhooks_per_second"] / plan["webhook_senders"])


class Staff(HttpUser):
    """A member of staff: signs in once, then browses the leads table (pages, sorts), searches, opens leads, moves
    cards on the board and adds notes, with a few seconds between clicks."""

    wait_time = between(2, 6)
    _arrivals = itertools.count()

    def on_start(self) -> None:
        import gevent

        arrival = next(self._arrivals)
        self.account = PLAN["staff"][arrival % len(PLAN["staff"])]
        # Staff arrive one by one, slower than allauth's 30 sign-ins a minute from one address (the bench is one
        # address; real staff sign in from many).
        gevent.sleep(arrival / PLAN["sign_ins_per_second"])
        resend = BrowserResend(total=1, connect=0, read=1, status=0, other=0, allowed_methods={"GET"})
        self.client.mount("http://", HTTPAdapter(max_retries=resend))
        self.lead_ids: list[int] = []
        self.cards: list[tuple[int, int]] = []
        self.open_stages: list[int] = []
        self.client.get("/accounts/login/", name="sign-in form")
        form = {
            "login": self.account["email"],
            "password": PLAN["password"],
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
        }
        with self.client.post(
            "/accounts/login/", data=form, allow_redirects=False, name="sign in", catch_response=True
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign in answered {answer.status_code}, not a redirect")
        PLAN["signed_in"] = PLAN.get("signed_in", 0) + 1

    def _htmx_post(self, path: str, data: dict, name: str, **kwargs):
        # As the page's htmx does: the CSRF token from the cookie in X-CSRFToken (base.html's hx-headers).
        headers = {"HX-Request": "true", "X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        return self.client.post(path, data=data, headers=headers, name=name, **kwargs)

    def _table_get(self, params: dict, name: str):
        """What the table page's htmx sends when its pager, a column header or the search box is used: the table's
        part of the page (crm/leads.html#table) for the new parameters, not the whole page."""
        headers = {"HX-Request": "true", "HX-Target": "lead-table", "HX-Current-URL": f"{PLAN['site_url']}/leads/"}
        return self.client.get("/leads/?" + urlencode(params), headers=headers, name=name)

    def _remember_leads(self, html: str) -> None:
        found = [int(pk) for pk in LEAD_LINK.findall(html)]
        if found:
            self.lead_ids = found

    @task(3)
    def leads_table(self) -> None:
        answer = self.client.get("/leads/", name="leads table")
        self._remember_leads(answer.text)

    @task(2)
    def leads_table_page(self) -> None:
        answer = self._table_get({"page": random.randint(2, 20)}, "leads table, page 2-20")
        self._remember_leads(answer.text)

    @task(2)
    def leads_table_sorted(self) -> None:
        answer = self._table_get({"sort": random.choice(SORTS)}, "leads table, sorted")
        self._remember_leads(answer.text)

    @task(3)
    def search(self) -> None:
        answer = self._table_get({"q": random.choice(PLAN["search_words"])}, "search")
        self._remember_leads(answer.text)

    @task(4)
    def lead_page(self) -> None:
        if self.lead_ids:
            self.client.get(f"/leads/{random.choice(self.lead_ids)}/", name="lead page")

    @task(2)
    def board(self) -> None:
        html = self.client.get("/pipeline/", name="board").text
        self.cards = [(int(lead), int(stage)) for lead, stage, movable in CARD.findall(html) if movable]
        self.open_stages = [int(stage) for stage, kind in COLUMN.findall(html) if kind in OPEN_STAGE_KINDS]

    @task(1)
    def move_card(self) -> None:
        """Drag a card to another open stage: the htmx move endpoint with the stage the card came from."""
        if not self.cards or len(self.open_stages) < 2:
            return
        lead, from_stage = self.cards.pop(random.randrange(len(self.cards)))
        stage = random.choice([pk for pk in self.open_stages if pk != from_stage])
        data = {"lead": lead, "stage": stage, "from_stage": from_stage}
        with self._htmx_post("/pipeline/move/", data, "board move", catch_response=True) as answer:
            if answer.status_code == 409:
                # Someone moved that card since this board was loaded: refusing the stale move is the right answer.
                answer.success()
                PLAN["stale_moves"] = PLAN.get("stale_moves", 0) + 1

    @task(1)
    def add_note(self) -> None:
        """A note on a lead the person may change (a card they could move)."""
        if self.cards:
            lead, _ = random.choice(self.cards)
            self._htmx_post(f"/leads/{lead}/notes/", {"body": random.choice(NOTES), "tags": "load"}, "add note")


class ProviderWebhooks(HttpUser):
    """The providers: Meta lead-ads notifications (X-Hub-Signature-256), Mailgun tracking events (HMAC signature and
    basic auth, through anymail) and Twilio status callbacks (X-Twilio-Signature), each signed with the secrets the
    server was started with, and each about a lead, message or text that exists."""

    wait_time = constant_throughput(WEBHOOKS_PER_SENDER)
    _lead_ids = itertools.count()

    @task(2)
    def meta_leadgen(self) -> None:
        from tests.fakes.meta_graph_server import meta_notification

        # New ids every run: the stand-in Graph API answers each with a lead, which the cluster saves.
        leadgen_id = str(PLAN["first_leadgen_id"] + next(self._lead_ids))
        body = json.dumps(meta_notification(leadgen_id)).encode()
        signature = "sha256=" + hmac.new(PLAN["meta_app_secret"].encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        self.client.post("/hooks/meta/leadgen/", data=body, headers=headers, name="webhook: Meta leadgen")

    @task(2)
    def mailgun_tracking(self) -> None:
        message_id = random.choice(PLAN["mailgun_message_ids"])
        kind = random.choice(["delivered", "opened", "opened", "clicked"])
        event = {
            "event": kind,
            "id": f"{kind}-{time.time_ns()}-{random.randrange(10**6)}",
            "timestamp": time.time(),
            "recipient": "someone@prospect.example",
            "message": {"headers": {"message-id": message_id}},
            **({"url": "https://acme.example/pricing"} if kind == "clicked" else {}),
        }
        timestamp, token = str(int(time.time())), hashlib.sha256(event["id"].encode()).hexdigest()[:50]
        signed = hmac.new(PLAN["mailgun_signing_key"].encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
        payload = {"signature": {"timestamp": timestamp, "token": token, "signature": signed.hexdigest()}}
        payload["event-data"] = event
        basic = base64.b64encode(PLAN["anymail_webhook_secret"].encode()).decode()
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {basic}"}
        self.client.post(
            "/anymail/mailgun/tracking/", data=json.dumps(payload), headers=headers, name="webhook: Mailgun tracking"
        )

    @task(1)
    def twilio_status(self) -> None:
        from twilio.request_validator import RequestValidator

        sid = random.choice(PLAN["twilio_message_sids"])
        path = "/hooks/twilio/whatsapp/"
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "MessageStatus": random.choice(["sent", "delivered", "read"]),
            "From": "whatsapp:+14155238886",
            "To": "whatsapp:+447700900123",
            "ApiVersion": "2010-04-01",
        }
        signature = RequestValidator(PLAN["twilio_auth_token"]).compute_signature(PLAN["site_url"] + path, form)
        self.client.post(path, data=form, headers={"X-Twilio-Signature": signature}, name="webhook: Twilio status")


def locust_run(plan: dict) -> dict:
    """Run the staff and the webhook senders against the server for the plan's duration; the figures per endpoint."""
    import gevent
    from locust.env import Environment

    scenarios_configure(plan)
    Staff.fixed_count, ProviderWebhooks.fixed_count = plan["users"], plan["webhook_senders"]
    env = Environment(user_classes=[Staff, ProviderWebhooks], host=plan["site_url"])
    runner = env.create_local_runner()
    users = plan["users"] + plan["webhook_senders"]
    started = time.monotonic()
    runner.start(users, spawn_rate=users)  # all at once: the webhooks start now, the staff sign in one by one
    while PLAN.get("signed_in", 0) < plan["users"]:
        gevent.sleep(0.5)
    ramp = time.monotonic() - started
    gevent.sleep(plan["duration"])
    runner.quit()
    stats = env.stats
    rows = [
        {
            "name": entry.name,
            "method": entry.method,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median": entry.median_response_time,
            "p95": entry.get_response_time_percentile(0.95),
            "max": entry.max_response_time,
            "rps": entry.total_rps,
        }
        for entry in sorted(stats.entries.values(), key=lambda entry: entry.name)
    ]
    errors = [
        {"name": error.name, "method": error.method, "error": str(error.error), "count": error.occurrences}
        for error in stats.errors.values()
    ]
    total = stats.total
    return {
        "rows": rows,
        "errors": errors,
        "ramp": ramp,
        "seconds": time.monotonic() - started,
        "total": {"requests": total.num_requests, "failures": total.num_failures, "rps": total.total_rps},
        "stale_moves": PLAN.get("stale_moves", 0),
        "resent": PLAN.get("resent", 0),
    }
