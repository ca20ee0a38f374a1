"""An IndiaMART seller's buyer enquiries come in through the Lead Manager pull API: one row per enquiry, each with its
product and message as a note for the lead's timeline, asked for in windows of at most 7 days since the last
success. A throttle, a refused key or a broken answer ends as a SourceFailed that says whether to try again. Against
a local stand-in replaying IndiaMART's documented envelopes (tests/fakes/indiamart/)."""

from datetime import UTC, datetime, timedelta

import pytest

from scraping.sources.base import SourceFailed, SourceSettings
from scraping.sources.indiamart import INDIAMART_DELIVERY_MAPPING, Throttled, fetch
from tests.fakes.indiamart_server import SELLER_KEY, IndiaMartStandIn


@pytest.fixture
def indiamart(httpserver, local_stand_ins, slept):
    return IndiaMartStandIn(httpserver)


def seller(stand_in: IndiaMartStandIn, key: str = SELLER_KEY) -> SourceSettings:
    return SourceSettings(kind="indiamart", base_url=stand_in.base_url, credentials={"crm_key": key})


def as_records(fetched) -> list[dict[str, str]]:
    return [dict(zip(fetched.headers, row, strict=True)) for row in fetched.rows]


def test_each_enquiry_becomes_a_row_mapped_to_lead_fields(indiamart):
    indiamart.queue("listing-success")

    fetched = fetch(seller(indiamart), {}, {})

    ravi, meera, unnamed = as_records(fetched)
    assert fetched.mapping == INDIAMART_DELIVERY_MAPPING
    assert ravi["SENDER_NAME"] == "Ravi Kumar"
    assert fetched.mapping["SENDER_NAME"] == "full_name"
    assert ravi["SENDER_MOBILE"] == "+91-9876543210"
    assert fetched.mapping["SENDER_MOBILE"] == "phone"
    assert (ravi["SENDER_EMAIL"], ravi["SENDER_COMPANY"], ravi["SENDER_CITY"], ravi["SENDER_COUNTRY_ISO"]) == (
        "ravi.kumar@kumarsensors.example",
        "Kumar Sensors",
        "Dehradun",
        "IN",
    )
    assert ravi["SENDER_MOBILE_ALT"] == "+91-9123456780"
    assert ravi["SENDER_EMAIL_ALT"] == "purchase@kumarsensors.example"
    assert meera["SENDER_PHONE"] == "+91-40-23456789"
    assert fetched.mapping["SENDER_PHONE"] == "other_phone"
    assert ravi["UNIQUE_QUERY_ID"] == "2243859917"
    assert {fetched.mapping[h] for h in ("UNIQUE_QUERY_ID", "QUERY_PRODUCT_NAME", "QUERY_MESSAGE", "SUBJECT")} == {""}
    # IndiaMART's stand-in name for an anonymous caller is not a name.
    assert unnamed["SENDER_NAME"] == ""
    assert unnamed["SENDER_MOBILE_ALT"] == ""  # null in the answer


def test_the_enquiry_lands_on_the_timeline_as_a_readable_note(indiamart):
    indiamart.queue("listing-success")

    ravi, meera, caller = as_records(fetch(seller(indiamart), {}, {}))

    assert ravi["notes"] == (
        "Enquiry about Fuel Pressure Regulator Sensor: I want to buy Fuel Pressure Regulator Sensor.\n"
        "Kindly send me price and other details.\n Quantity :   1\n Quantity Unit :   piece"
    )
    assert meera["notes"].startswith("Enquiry about Capacitive Proximity Sensors: I want to buy")
    assert "<br>" not in meera["notes"]
    assert caller["notes"] == "Enquiry about Ultrasonic Level Sensor"


def test_the_first_run_asks_for_the_last_seven_days_in_ist_and_moves_the_cursor_to_now(indiamart):
    before = datetime.now(UTC)
    indiamart.queue("listing-success")

    fetched = fetch(seller(indiamart), {}, {})

    [(start, end)] = indiamart.windows()
    ist = timedelta(hours=5, minutes=30)
    assert abs((end - ist) - before.replace(tzinfo=None)) < timedelta(minutes=1)
    assert end - start == timedelta(days=7)
    until = datetime.fromisoformat(fetched.cursor["until"])
    assert until >= before
    assert until.astimezone(UTC).replace(tzinfo=None, microsecond=0) == end - ist


def test_the_next_run_starts_where_the_last_one_ended(indiamart):
    last_success = datetime.now(UTC) - timedelta(hours=3)

    fetched = fetch(seller(indiamart), {}, {"until": last_success.isoformat()})

    [(start, _)] = indiamart.windows()
    assert start == (last_success + timedelta(hours=5, minutes=30)).replace(tzinfo=None, microsecond=0)
    assert datetime.fromisoformat(fetched.cursor["until"]) > last_success


def test_a_long_absence_is_asked_for_in_windows_of_at_most_seven_days(indiamart):
    last_success = datetime.now(UTC) - timedelta(days=17)
    indiamart.queue("listing-success", "listing-no-leads", "listing-no-leads")

    fetched = fetch(seller(indiamart), {}, {"until": last_success.isoformat()})

    windows = indiamart.windows()
    assert len(windows) == 3
    assert all(end - start <= timedelta(days=7) for start, end in windows)
    assert [start for start, _ in windows[1:]] == [end for _, end in windows[:-1]]
    assert len(fetched.rows) == 3


def test_a_target_may_ask_for_fewer_days_on_the_first_run(indiamart):
    fetch(seller(indiamart), {"days": 2}, {})

    [(start, end)] = indiamart.windows()
    assert end - start == timedelta(days=2)


def test_no_leads_in_the_window_is_an_empty_result_and_not_suspicious(indiamart):
    indiamart.queue("listing-no-leads")

    fetched = fetch(seller(indiamart), {}, {})

    assert fetched.rows == []
    assert fetched.empty_is_suspicious is False
    assert "until" in fetched.cursor


def test_a_throttled_call_fails_for_now_and_says_when_to_try_again(indiamart):
    indiamart.queue("listing-throttled")

    with pytest.raises(Throttled) as failure:
        fetch(seller(indiamart), {}, {})

    assert failure.value.retry is True
    assert failure.value.retry_after == timedelta(minutes=5)
    assert "try again after" in str(failure.value)
    assert "once in every 5 minutes" in str(failure.value)
    assert len(indiamart.calls) == 1  # a throttled key is not asked again at once


def test_a_throttle_after_some_windows_keeps_what_was_read_and_continues_next_time(indiamart):
    last_success = datetime.now(UTC) - timedelta(days=10)
    indiamart.queue("listing-success", "listing-throttled")

    fetched = fetch(seller(indiamart), {}, {"until": last_success.isoformat()})

    first_window_end = indiamart.windows()[0][1]
    assert len(fetched.rows) == 3
    until = datetime.fromisoformat(fetched.cursor["until"]).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    assert until == first_window_end - timedelta(hours=5, minutes=30)
    assert "come with the next run" in fetched.notes[0]


def test_an_http_429_without_the_envelope_is_a_throttle_too(indiamart):
    indiamart.queue({"error": "slow down"}, http_status=429)

    with pytest.raises(Throttled):
        fetch(seller(indiamart), {}, {})
    assert len(indiamart.calls) == 1


def test_a_wrong_key_stops_for_good_without_repeating_the_key(indiamart):
    with pytest.raises(SourceFailed) as failure:
        fetch(seller(indiamart, key="an-old-key-0042"), {}, {})

    assert failure.value.retry is False
    assert "Pull API Key that you are using is incorrect" in str(failure.value)
    assert "an-old-key-0042" not in str(failure.value)


def test_a_source_without_a_key_fails_before_asking(indiamart):
    with pytest.raises(SourceFailed, match="No IndiaMART CRM key") as failure:
        fetch(seller(indiamart, key=""), {}, {})

    assert failure.value.retry is False
    assert indiamart.calls == []


@pytest.mark.parametrize(
    ("body", "status", "retry"),
    [
        ("<html>Service Unavailable</html>", 503, True),
        ("not json at all", 200, False),
        ({"CODE": 200, "STATUS": "SUCCESS", "RESPONSE": {"UNIQUE_QUERY_ID": "1"}}, 200, False),
    ],
)
def test_an_answer_that_cannot_be_read_is_a_clear_failure(indiamart, httpserver, body, status, retry):
    httpserver.clear()
    if isinstance(body, dict):
        IndiaMartStandIn(httpserver).queue(body)
    else:
        httpserver.expect_request("/wservce/crm/crmListing/v2/").respond_with_data(body, status=status)

    with pytest.raises(SourceFailed) as failure:
        fetch(seller(indiamart), {}, {})

    assert failure.value.retry is retry
    assert SELLER_KEY not in str(failure.value)


def test_an_unreachable_indiamart_is_tried_again_later(local_stand_ins):
    unreachable = SourceSettings(kind="indiamart", base_url="http://localhost:9", credentials={"crm_key": "k"})

    with pytest.raises(SourceFailed, match="could not be reached") as failure:
        fetch(unreachable, {}, {})

    assert failure.value.retry is True


def test_a_cursor_older_than_a_year_starts_at_what_indiamart_still_keeps(indiamart):
    a_year_ago_ist = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=5, minutes=30) - timedelta(days=365)

    fetch(seller(indiamart), {}, {"until": "2020-01-01T00:00:00+00:00"})

    first_start = indiamart.windows()[0][0]
    assert a_year_ago_ist < first_start < a_year_ago_ist + timedelta(minutes=5)
    assert len(indiamart.calls) == 53  # 365 days in windows of 7
