"""Apify as a capture source, through apify-client against a local stand-in speaking Apify's API v2."""

import pytest

from scraping.sources import apify
from scraping.sources.base import SourceFailed, SourceSettings
from scraping.sources.shapes import GOOGLE_MAPS_PLACES, PEOPLE, apify_shape
from tests.fakes.apify_server import TOKEN, ApifyStandIn, SyntheticPlaces, apify_body

MAPS = "compass/crawler-google-places"


@pytest.fixture
def stand_in(httpserver, local_stand_ins, slept) -> ApifyStandIn:
    local_stand_ins.CAPTURE_WAIT_SECONDS = 60
    local_stand_ins.HTTP_RETRY_AFTER_MAX = 0.01
    return ApifyStandIn(httpserver)


def _source(stand_in: ApifyStandIn, token: str = TOKEN, base_url: str | None = None) -> SourceSettings:
    return SourceSettings(kind="apify", base_url=base_url or stand_in.url, credentials={"token": token})


def _table(fetched) -> list[dict[str, str]]:
    return [dict(zip(fetched.headers, row, strict=True)) for row in fetched.rows]


def test_it_reads_the_places_of_the_actors_last_succeeded_run(stand_in):
    stand_in.add_dataset("places-1", "google-maps-places")
    stand_in.add_run(MAPS, "run-1", dataset_id="places-1")
    stand_in.add_run(MAPS, "run-2", ["FAILED"], dataset_id="nothing")

    fetched = apify.fetch(_source(stand_in), {"actor": MAPS}, {})
    places = _table(fetched)

    assert places[0] == {
        "Company": "Leeds Plumbing & Heating Ltd",
        "Phone": "0113 496 0123",
        "Website": "https://leedsplumbingheating.co.uk/",
        "Email": "",
        "Address": "12 Kirkstall Rd, Leeds LS3 1LH, United Kingdom",
        "City": "Leeds",
        "Country": "GB",
        "Category": "Plumber",
        "Rating": "4.7",
        "Reviews": "128",
        "Place id": "ChIJ2eUgeAK6j4ARbn5u_wAGqWA",
        "Maps URL": apify_body("google-maps-places")[0]["url"],
    }
    assert places[1]["Phone"] == "+441134960456"  # no formatted phone: the unformatted one
    assert places[1]["Email"] == "office@headingleydrains.example"
    assert fetched.mapping == GOOGLE_MAPS_PLACES.mapping()
    assert fetched.cursor == {"run_id": "run-1"}
    assert stand_in.requests("/v2/acts/compass~crawler-google-places/runs/last")[0].args["status"] == "SUCCEEDED"


def test_it_starts_the_actor_with_its_input_and_waits_for_the_run(stand_in, slept):
    stand_in.add_dataset("places-2", "google-maps-places")
    stand_in.add_run(MAPS, "run-3", ["RUNNING", "RUNNING", "SUCCEEDED"], dataset_id="places-2")
    stand_in.starts_into(MAPS, "run-3")
    actor_input = {"searchStringsArray": ["plumber"], "locationQuery": "Leeds, UK", "maxCrawledPlacesPerSearch": 50}

    fetched = apify.fetch(_source(stand_in), {"actor": MAPS, "run": "start", "input": actor_input}, {})

    assert stand_in.started_inputs == [actor_input]
    assert slept == [2.0, 4.0]
    assert len(list(fetched.rows)) == 2
    assert fetched.cursor == {"run_id": "run-3"}


def test_a_big_dataset_streams_page_by_page(stand_in):
    stand_in.add_dataset("big", SyntheticPlaces(1234))
    stand_in.add_run(MAPS, "run-4", dataset_id="big")

    fetched = apify.fetch(_source(stand_in), {"actor": MAPS}, {})

    assert not isinstance(fetched.rows, list)  # nothing read past the first page yet
    assert [request.args["offset"] for request in stand_in.requests("/v2/datasets/big/items")] == ["0"]
    rows = list(fetched.rows)
    assert len(rows) == 1234
    assert rows[-1][0] == "Plumber 1233 Ltd"
    pages = stand_in.requests("/v2/datasets/big/items")
    assert [(page.args["offset"], page.args["limit"]) for page in pages] == [
        ("0", "500"),
        ("500", "500"),
        ("1000", "500"),
    ]
    assert fetched.raw["items_total"] == 1234


def test_a_known_actors_dataset_is_asked_for_only_the_fields_its_leads_need(stand_in):
    stand_in.add_dataset("big", SyntheticPlaces(600))
    stand_in.add_run(MAPS, "run-5", dataset_id="big")

    rows = list(apify.fetch(_source(stand_in), {"actor": MAPS}, {}).rows)

    wanted = "title,phone,phoneUnformatted,website,emails,email,address,city,countryCode,categoryName,totalScore"
    assert [page.args["fields"] for page in stand_in.requests("/v2/datasets/big/items")] == [
        f"{wanted},reviewsCount,placeId,url"
    ] * 2  # reviews, photos and opening hours stay at Apify
    assert rows[599][:3] == ["Plumber 599 Ltd", "0113 496 0599", "https://plumber599.example/"]


def test_items_of_an_unknown_actor_are_asked_whole_until_their_shape_is_known(stand_in):
    stand_in.add_dataset("places-2", SyntheticPlaces(700))
    stand_in.add_run("someone/maps-lookalike", "run-6", dataset_id="places-2")

    rows = list(apify.fetch(_source(stand_in), {"actor": "someone/maps-lookalike"}, {}).rows)

    first, second = stand_in.requests("/v2/datasets/places-2/items")
    assert "fields" not in first.args and second.args["fields"].startswith("title,phone,")
    assert len(rows) == 700 and rows[650][0] == "Plumber 650 Ltd"


def test_a_run_that_timed_out_fails_with_its_status(stand_in):
    stand_in.add_run(MAPS, "run-5", ["RUNNING", "TIMED-OUT"], status_message="The Actor run has timed out.")
    stand_in.starts_into(MAPS, "run-5")

    with pytest.raises(SourceFailed) as failure:
        apify.fetch(_source(stand_in), {"actor": MAPS, "run": "start"}, {})

    assert "TIMED-OUT" in str(failure.value) and "timed out" in str(failure.value)
    assert failure.value.retry is True


def test_a_run_that_failed_fails_for_good(stand_in):
    stand_in.add_run(MAPS, "run-6", ["FAILED"], status_message="Input is not valid: locationQuery is required")
    stand_in.starts_into(MAPS, "run-6")

    with pytest.raises(SourceFailed) as failure:
        apify.fetch(_source(stand_in), {"actor": MAPS, "run": "start"}, {})

    assert "FAILED: Input is not valid" in str(failure.value)
    assert failure.value.retry is False


def test_a_run_that_outlasts_the_wait_is_given_up_and_tried_later(stand_in, settings, slept):
    settings.CAPTURE_WAIT_SECONDS = 5
    stand_in.add_run(MAPS, "run-7", ["RUNNING"])
    stand_in.starts_into(MAPS, "run-7")

    with pytest.raises(SourceFailed) as failure:
        apify.fetch(_source(stand_in), {"actor": MAPS, "run": "start"}, {})

    assert "still RUNNING after 5 s" in str(failure.value)
    assert failure.value.retry is True
    assert sum(slept) == 5


def test_the_run_the_cursor_already_holds_is_no_news(stand_in):
    stand_in.add_dataset("places-3", "google-maps-places")
    stand_in.add_run(MAPS, "run-8", dataset_id="places-3")

    fetched = apify.fetch(_source(stand_in), {"actor": MAPS}, {"run_id": "run-8"})

    assert fetched.rows == [] and not fetched.empty_is_suspicious
    assert "No new run" in fetched.notes[0]
    assert not stand_in.requests("/v2/datasets/places-3/items")


def test_an_actor_without_a_succeeded_run_is_no_news(stand_in):
    fetched = apify.fetch(_source(stand_in), {"actor": MAPS}, {})

    assert fetched.rows == [] and "no succeeded run" in fetched.notes[0]


def test_an_empty_dataset_is_an_empty_fetch_flagged_in_its_notes(stand_in):
    stand_in.add_dataset("empty", [])
    stand_in.add_run(MAPS, "run-9", dataset_id="empty")

    fetched = apify.fetch(_source(stand_in), {"actor": MAPS}, {})

    assert fetched.rows == [] and fetched.empty_is_suspicious
    assert "holds no items" in fetched.notes[0]
    assert fetched.cursor == {"run_id": "run-9"}


def test_a_rejected_token_is_a_failure_not_worth_retrying(stand_in):
    with pytest.raises(SourceFailed) as failure:
        apify.fetch(_source(stand_in, token="wrong"), {"actor": MAPS}, {})

    assert str(failure.value) == "Apify rejected the API token"
    assert failure.value.retry is False


def test_a_throttle_that_holds_is_tried_later(stand_in):
    stand_in.fails(
        "/v2/acts/compass~crawler-google-places/runs/last", 429, apify_body("error-429-rate-limit-exceeded"), times=4
    )

    with pytest.raises(SourceFailed) as failure:
        apify.fetch(_source(stand_in), {"actor": MAPS}, {})

    assert "HTTP 429" in str(failure.value)
    assert failure.value.retry is True
    assert len(stand_in.requests("/v2/acts/compass~crawler-google-places/runs/last")) == 4  # asked, then 3 retries


def test_malformed_json_is_a_failure(stand_in):
    stand_in.add_dataset("places-4", "google-maps-places")
    stand_in.add_run(MAPS, "run-10", dataset_id="places-4")
    stand_in.fails("/v2/datasets/places-4/items", 200, text='[{"title": "Leeds Plu')

    with pytest.raises(SourceFailed, match="could not be read"):
        apify.fetch(_source(stand_in), {"actor": MAPS}, {})


def test_a_run_body_missing_its_fields_is_a_failure(stand_in):
    stand_in.fails(
        "/v2/acts/compass~crawler-google-places/runs/last", 200, {"data": {"id": "x", "status": "SUCCEEDED"}}
    )

    with pytest.raises(SourceFailed, match="could not be read"):
        apify.fetch(_source(stand_in), {"actor": MAPS}, {})


def test_a_base_url_on_a_private_address_is_refused_before_any_call(stand_in):
    private = _source(stand_in, base_url=stand_in.url.replace("localhost", "127.0.0.1"))

    with pytest.raises(SourceFailed) as failure:
        apify.fetch(private, {"actor": MAPS}, {})

    assert "private address" in str(failure.value)
    assert failure.value.retry is False
    assert stand_in.requests() == []


def test_linkedin_and_apollo_people_map_to_lead_fields(stand_in):
    stand_in.add_dataset("people-1", "linkedin-people")
    stand_in.add_run("dev_fusion/Linkedin-Profile-Scraper", "run-11", dataset_id="people-1")
    stand_in.add_dataset("people-2", "apollo-people")
    stand_in.add_run("someone/apollo-leads", "run-12", dataset_id="people-2")

    linkedin = apify.fetch(_source(stand_in), {"actor": "dev_fusion/Linkedin-Profile-Scraper"}, {})
    apollo = apify.fetch(_source(stand_in), {"actor": "someone/apollo-leads"}, {})

    assert linkedin.mapping == apollo.mapping == PEOPLE.mapping()
    assert _table(linkedin)[0] == {
        "First name": "Lena",
        "Last name": "Fischer",
        "Full name": "Lena Fischer",
        "Email": "lena@kiezkraft.example",
        "Phone": "",
        "LinkedIn URL": "https://www.linkedin.com/in/lena-fischer-berlin",
        "Job title": "Founder & CEO",
        "Company": "Kiezkraft GmbH",
        "Website": "kiezkraft.example",
        "Location": "Berlin, Berlin, Germany",
        "City": "",
        "Country": "Germany",
        "Headline": "Founder & CEO at Kiezkraft | B2B SaaS",
    }
    assert _table(apollo)[0] == {
        "First name": "Tom",
        "Last name": "Becker",
        "Full name": "Tom Becker",
        "Email": "tom.becker@nordlicht.example",
        "Phone": "+49401234567",
        "LinkedIn URL": "http://www.linkedin.com/in/tombecker",
        "Job title": "Head of Sales",
        "Company": "Nordlicht Analytics",
        "Website": "http://www.nordlicht.example",
        "Location": "",
        "City": "Hamburg",
        "Country": "Germany",
        "Headline": "Head of Sales at Nordlicht Analytics",
    }


def test_any_other_actor_gives_its_own_fields_as_text_cells(stand_in):
    stand_in.add_dataset("jobs", [{"company": "Spreeware", "tags": ["saas", "berlin"], "contact": {"name": "Jonas"}}])
    stand_in.add_run("someone/job-board", "run-13", dataset_id="jobs")

    fetched = apify.fetch(_source(stand_in), {"actor": "someone/job-board"}, {})

    assert fetched.mapping is None  # the import's suggestions decide
    assert fetched.headers == ["company", "tags", "contact"]
    assert list(fetched.rows) == [["Spreeware", "saas; berlin", '{"name": "Jonas"}']]


def test_shapes_are_known_by_actor_or_by_their_items():
    place = apify_body("google-maps-places")[0]
    assert apify_shape("compass~crawler-google-places", {}) is GOOGLE_MAPS_PLACES
    assert apify_shape("someone/maps-clone", place) is GOOGLE_MAPS_PLACES
    assert apify_shape("someone/people", apify_body("apollo-people")[0]) is PEOPLE
    assert apify_shape("someone/other", {"company": "x"}) is None
