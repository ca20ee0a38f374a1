"""PhantomBuster as a capture source, against a local stand-in speaking its API v2 and serving its S3 result files."""

import pytest

from scraping.sources import phantombuster
from scraping.sources.base import SourceFailed, SourceSettings
from scraping.sources.shapes import phantombuster_mapping
from tests.fakes.phantombuster_server import API_KEY, PhantomBusterStandIn, phantombuster_body, phantombuster_file

AGENT = "4512378"


@pytest.fixture
def stand_in(httpserver, local_stand_ins, slept) -> PhantomBusterStandIn:
    stand_in = PhantomBusterStandIn(httpserver)
    local_stand_ins.PHANTOMBUSTER_S3_BASE_URL = stand_in.s3_base_url
    local_stand_ins.CAPTURE_WAIT_SECONDS = 60
    local_stand_ins.HTTP_RETRY_AFTER_MAX = 0.01
    stand_in.add_agent(AGENT)
    return stand_in


def _source(stand_in: PhantomBusterStandIn, api_key: str = API_KEY) -> SourceSettings:
    return SourceSettings(kind="phantombuster", base_url=stand_in.base_url, credentials={"api_key": api_key})


def _sales_navigator_objects() -> list[dict]:
    import json

    return json.loads(phantombuster_body("result-object")["resultObject"])


def test_it_reads_the_agents_latest_finished_run_from_its_result_object(stand_in):
    stand_in.add_container(AGENT, "1001", endedAt=1712000000000, result=[{"fullName": "Old Run"}])
    stand_in.add_container(AGENT, "1002", endedAt=1712349999000, result=_sales_navigator_objects())

    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert [row[fetched.headers.index("fullName")] for row in fetched.rows] == ["Lena Fischer", "Jonas Weber"]
    assert fetched.mapping["linkedInProfileUrl"] == "linkedin_url"
    assert fetched.mapping["companyName"] == "company"
    assert "profileUrl" not in fetched.mapping  # a Sales Navigator link, not the person's profile
    assert fetched.cursor == {"container_id": "1002", "ended_at": 1712349999000}
    assert stand_in.launches == []
    assert stand_in.requests("/api/v2/containers/fetch-all")[0].headers["X-Phantombuster-Key"] == API_KEY


def test_it_launches_the_agent_with_its_argument_and_waits_for_the_run(stand_in, slept):
    stand_in.add_container(
        AGENT,
        "2001",
        ["container-running", "container-running", "container-finished"],
        result=_sales_navigator_objects(),
    )
    stand_in.launches_into(AGENT, "2001")
    argument = {"sessionCookie": "AQEDAR...", "searches": "https://www.linkedin.com/sales/search/people?query=x"}

    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT, "launch": True, "argument": argument}, {})

    assert stand_in.launches == [{"id": AGENT, "argument": argument}]
    assert slept == [2.0, 4.0]  # looked at three times, pausing longer each time
    assert len(fetched.rows) == 2
    assert fetched.cursor["container_id"] == "2001"


def test_without_a_result_object_it_reads_the_result_csv_in_the_agents_s3_folder(stand_in):
    stand_in.add_container(AGENT, "3001", result=None)
    stand_in.add_result_csv(AGENT, phantombuster_file("sales-navigator-search-export.csv"))

    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert fetched.headers[:4] == ["profileUrl", "fullName", "firstName", "lastName"]
    assert [row[fetched.headers.index("linkedInProfileUrl")] for row in fetched.rows] == [
        "https://www.linkedin.com/in/lena-fischer-berlin",
        "https://www.linkedin.com/in/jonas-weber-spree",
    ]
    assert fetched.raw["read_from"] == "result CSV"
    assert fetched.raw["shape"] == "Sales Navigator Search Export"
    agent = stand_in.agents[AGENT]
    assert stand_in.requests(f"/s3/{agent['orgS3Folder']}/{agent['s3Folder']}/result.csv")


def test_an_agent_whose_run_failed_fails_with_the_runs_own_message(stand_in):
    stand_in.add_container(AGENT, "4001", ["container-failed"])

    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert "Can't connect to LinkedIn with this session cookie." in str(failure.value)
    assert failure.value.retry is False  # the agent needs fixing first


def test_a_run_with_no_results_is_an_empty_fetch_flagged_in_its_notes(stand_in):
    stand_in.add_container(AGENT, "5001", result=None)  # and no result.csv in S3 either

    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert fetched.rows == []
    assert "finished without results" in fetched.notes[0]
    assert fetched.empty_is_suspicious
    assert fetched.cursor["container_id"] == "5001"


def test_the_run_the_cursor_already_holds_is_no_news(stand_in):
    stand_in.add_container(AGENT, "6001", result=_sales_navigator_objects())

    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {"container_id": "6001", "ended_at": 1})

    assert fetched.rows == [] and not fetched.empty_is_suspicious
    assert "No new run" in fetched.notes[0]
    assert fetched.cursor == {"container_id": "6001", "ended_at": 1}
    assert not stand_in.requests("/api/v2/containers/fetch-result-object")


def test_an_agent_that_never_ran_is_no_news(stand_in):
    fetched = phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert fetched.rows == [] and "not finished a run" in fetched.notes[0]


def test_a_rejected_key_is_a_failure_not_worth_retrying(stand_in):
    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in, api_key="wrong"), {"agent": AGENT}, {})

    assert str(failure.value) == "PhantomBuster rejected the API key"
    assert failure.value.retry is False


def test_an_unknown_agent_is_a_failure_not_worth_retrying(stand_in):
    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in), {"agent": "999"}, {})

    assert "no such agent" in str(failure.value) and "Agent not found" in str(failure.value)
    assert failure.value.retry is False


def test_a_throttle_is_asked_again_and_a_throttle_that_holds_is_tried_later(stand_in):
    stand_in.add_container(AGENT, "7001", result=_sales_navigator_objects())
    stand_in.fails("/api/v2/agents/fetch", 503, {"error": "Service unavailable"})

    assert len(phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {}).rows) == 2

    stand_in.fails("/api/v2/agents/fetch", 429, {"error": "Too many requests"}, times=4)
    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})
    assert "HTTP 429" in str(failure.value)
    assert failure.value.retry is True


def test_a_malformed_answer_is_a_failure(stand_in):
    stand_in.add_container(AGENT, "8001", result=_sales_navigator_objects())
    stand_in.fails("/api/v2/containers/fetch-result-object", 200, text='{"resultObject": "[{\\"fullName')

    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})

    assert "could not be read" in str(failure.value)


def test_a_result_object_that_is_not_json_is_a_failure(stand_in):
    stand_in.add_container(AGENT, "8002", result="[{not json")

    with pytest.raises(SourceFailed, match="not JSON"):
        phantombuster.fetch(_source(stand_in), {"agent": AGENT}, {})


def test_a_run_that_outlasts_the_wait_is_given_up_and_tried_later(stand_in, settings, slept):
    settings.CAPTURE_WAIT_SECONDS = 10
    stand_in.add_container(AGENT, "9001", ["container-running"])
    stand_in.launches_into(AGENT, "9001")

    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(_source(stand_in), {"agent": AGENT, "launch": True}, {})

    assert "still running after 10 s" in str(failure.value)
    assert failure.value.retry is True
    assert sum(slept) == 10


def test_a_base_url_on_a_private_address_is_refused(stand_in, settings):
    private = SourceSettings(
        kind="phantombuster",
        base_url=stand_in.base_url.replace("localhost", "127.0.0.1"),
        credentials={"api_key": API_KEY},
    )

    with pytest.raises(SourceFailed) as failure:
        phantombuster.fetch(private, {"agent": AGENT}, {})

    assert "private address" in str(failure.value)
    assert failure.value.retry is False
    assert stand_in.requests() == []


def test_the_three_phantoms_result_columns_map_to_lead_fields():
    def headers(name: str) -> list[str]:
        return phantombuster_file(name).splitlines()[0].split(",")

    shape, mapping = phantombuster_mapping(headers("sales-navigator-search-export.csv"))
    assert shape == "Sales Navigator Search Export"
    assert mapping == {
        "firstName": "first_name",
        "lastName": "last_name",
        "fullName": "full_name",
        "linkedInProfileUrl": "linkedin_url",
        "companyName": "company",
        "title": "title",
        "location": "location",
    }

    shape, mapping = phantombuster_mapping(headers("linkedin-search-export.csv"))
    assert shape == "LinkedIn Search Export"
    assert mapping == {
        "firstName": "first_name",
        "lastName": "last_name",
        "fullName": "full_name",
        "profileUrl": "linkedin_url",
        "job": "title",
        "location": "location",
    }

    shape, mapping = phantombuster_mapping(headers("linkedin-profile-scraper.csv"))
    assert shape == "LinkedIn Profile Scraper"
    assert mapping == {
        "firstName": "first_name",
        "lastName": "last_name",
        "fullName": "full_name",
        "linkedinProfileUrl": "linkedin_url",
        "jobTitle": "title",
        "company": "company",
        "mail": "email",
        "phoneNumber": "phone",
        "companyWebsite": "website",
        "location": "location",
    }

    assert phantombuster_mapping(["Name", "Email"]) == (None, None)
