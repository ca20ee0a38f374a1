"""A campaign reads a directory's listing pages with CSS selectors: every item a row, pages followed by their "next"
link up to max_pages and never twice, robots.txt honoured, JavaScript pages drawn in Chromium. A page that shows no
items flags the run (the layout has probably changed); a redirect to a private address, a page too large, a site
that is down or too slow each end as a SourceFailed saying whether to try again. Against a local directory site
(tests/fakes/directory_site.py)."""

import shutil

import pytest

from leadflow.http import RobotsCache
from scraping.sources.base import SourceFailed, SourceSettings
from scraping.sources.directory import fetch
from tests.fakes.directory_site import DirectorySite

WEB = SourceSettings(kind="website", base_url="")
FIELDS = {"company": "h2", "phone": ".tel", "website": "a.site@href", "location": ".addr"}


@pytest.fixture
def directory(local_stand_ins, slept, monkeypatch):
    monkeypatch.setattr("leadflow.http._robots_cache", RobotsCache())
    site = DirectorySite().start()
    yield site
    site.stop()


def listing(site: DirectorySite, *paths: str, **more) -> dict:
    return {"start_urls": [site.url(path) for path in paths], "item": "div.listing", "fields": FIELDS,
            "next_page": "a.next@href", "max_pages": 20, **more}  # fmt: skip


def records(fetched) -> list[dict[str, str]]:
    return [dict(zip(fetched.headers, row, strict=True)) for row in fetched.rows]


def test_every_listing_of_every_page_becomes_a_row(directory):
    fetched = fetch(WEB, listing(directory, "plumbers/leeds/"), {})

    companies = [row["company"] for row in records(fetched)]
    assert companies == [
        "Aire Valley Plumbing",
        "Headingley Heating & Plumbing",
        "Roundhay Drains",
        "Chapel Allerton Plumbers",
        "Kirkstall Boiler Care",
        "Morley Bathrooms",
        "Pudsey Pipeworks",
        "Garforth Gas & Water",
    ]
    assert fetched.headers == ["company", "phone", "website", "location"]
    assert fetched.mapping == {"company": "company", "phone": "phone", "website": "website", "location": "location"}
    assert fetched.empty_is_suspicious is False
    assert fetched.notes == []


def test_cells_are_the_stripped_text_or_the_attribute_made_absolute(directory):
    aire, headingley, roundhay, *_ = records(fetch(WEB, listing(directory, "plumbers/leeds/"), {}))

    assert aire == {
        "company": "Aire Valley Plumbing",
        "phone": "0113 496 0123",
        "website": "https://airevalleyplumbing.example/",
        "location": "12 Kirkstall Road, Leeds LS3 1HS",
    }
    assert headingley["location"] == "4 Otley Road, Leeds LS6 2AA"
    assert headingley["website"] == directory.url("go/headingley-heating")
    assert roundhay["phone"] == ""  # no .tel in that listing


def test_the_next_link_back_to_the_first_page_is_not_followed(directory):
    fetch(WEB, listing(directory, "plumbers/leeds/"), {})

    pages = [path for path in directory.requested_paths() if path != "/robots.txt"]
    assert pages == ["/plumbers/leeds/", "/plumbers/leeds/page-2/", "/plumbers/leeds/page-3/"]


def test_max_pages_stops_the_pagination_and_says_so(directory):
    fetched = fetch(WEB, listing(directory, "plumbers/leeds/", max_pages=2), {})

    assert len(fetched.rows) == 6
    assert "Stopped after 2 pages" in fetched.notes[0]


def test_fields_that_are_not_lead_fields_become_custom_fields(directory):
    target = listing(directory, "plumbers/leeds/")
    target["fields"] = {"company": "h2", "directory_page": "a.site@href", "other_phone": ".tel"}

    fetched = fetch(WEB, target, {})

    assert fetched.mapping == {"company": "company", "directory_page": "", "other_phone": "other_phone"}


def test_a_page_with_no_items_flags_the_run(directory):
    fetched = fetch(WEB, listing(directory, "plumbers/bradford/"), {})

    assert fetched.rows == []
    assert fetched.empty_is_suspicious is True
    assert fetched.notes == [f"0 items on {directory.url('plumbers/bradford/')}: has the layout changed?"]


def test_a_page_robots_txt_disallows_is_not_read(directory):
    fetched = fetch(WEB, listing(directory, "private/", "plumbers/leeds/"), {})

    assert "/private/" not in directory.requested_paths()
    assert "disallows" in fetched.notes[0]
    assert len(fetched.rows) == 8


def test_a_redirect_to_a_private_address_is_refused_for_good(directory):
    with pytest.raises(SourceFailed, match="private address") as failure:
        fetch(WEB, listing(directory, "moved/"), {})

    assert failure.value.retry is False
    assert "127.0.0.1" in str(failure.value)


def test_a_page_larger_than_the_cap_is_refused(directory, settings):
    with pytest.raises(SourceFailed, match="larger than") as failure:
        fetch(WEB, listing(directory, "huge/"), {})

    assert failure.value.retry is False


def test_a_site_that_is_down_is_tried_again_later(directory):
    with pytest.raises(SourceFailed, match="server errors") as failure:
        fetch(WEB, listing(directory, "down/"), {})

    assert failure.value.retry is True


def test_a_site_too_slow_to_answer_is_tried_again_later(directory, settings):
    settings.HTTP_TIMEOUT = 0.5

    with pytest.raises(SourceFailed, match="did not answer in time") as failure:
        fetch(WEB, listing(directory, "slow/"), {})

    assert failure.value.retry is True


def test_a_missing_page_is_not_tried_again(directory):
    with pytest.raises(SourceFailed, match="answered 404") as failure:
        fetch(WEB, listing(directory, "plumbers/hull/"), {})

    assert failure.value.retry is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start_urls": []}, "no start URLs"),
        ({"start_urls": ["file:///etc/passwd"]}, "Not a web address"),
        ({"item": ""}, "no item selector"),
        ({"fields": {}}, "no fields"),
        ({"item": "div[["}, "Not a CSS selector"),
        ({"max_pages": "many"}, "max_pages"),
    ],
)
def test_a_target_that_cannot_work_says_why(directory, change, message):
    with pytest.raises(SourceFailed, match=message) as failure:
        fetch(WEB, {**listing(directory, "plumbers/leeds/"), **change}, {})

    assert failure.value.retry is False


def test_a_javascript_page_shows_nothing_without_rendering(directory):
    fetched = fetch(WEB, listing(directory, "plumbers/york/"), {})

    assert fetched.rows == []
    assert fetched.empty_is_suspicious is True


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_a_javascript_page_is_read_once_chromium_has_drawn_it(directory):
    fetched = fetch(WEB, listing(directory, "plumbers/york/", render=True), {})

    assert records(fetched) == [
        {
            "company": "Minster Plumbing",
            "phone": "01904 496 012",
            "website": "https://minsterplumbing.example/",
            "location": "1 Petergate, York YO1 7HU",
        },
        {
            "company": "Ouse Valley Heating",
            "phone": "01904 496 034",
            "website": "https://ousevalleyheating.example/",
            "location": "40 Bishopthorpe Road, York YO23 1JJ",
        },
    ]
    assert "/plumbers/york/listings.js" in directory.requested_paths()
    assert fetched.empty_is_suspicious is False


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_a_rendered_page_that_redirects_to_a_private_address_is_refused_for_good(directory):
    with pytest.raises(SourceFailed, match="refused") as failure:
        fetch(WEB, listing(directory, "moved/", render=True), {})

    assert failure.value.retry is False


def with_details(site: DirectorySite, **details) -> dict:
    return listing(
        site,
        "plumbers/leeds/",
        details={"selector": "a.more@href", "fields": {"email": "a.email", "full_name": ".contact-name"}, **details},
    )


def test_each_items_own_page_fills_in_its_contact_details(directory):
    fetched = fetch(WEB, with_details(directory), {})

    aire, headingley, roundhay, chapel, *_ = records(fetched)
    assert fetched.headers == ["company", "phone", "website", "location", "email", "full_name"]
    assert fetched.mapping["email"] == "email"
    assert (aire["email"], aire["full_name"]) == ("dave@airevalleyplumbing.example", "Dave Walker")
    assert (headingley["email"], headingley["full_name"]) == ("priya@headingleyheating.example", "Priya Shah")
    # Roundhay's page is missing: noted, and its listing still counts.
    assert roundhay["company"] == "Roundhay Drains" and roundhay["email"] == ""
    assert any("roundhay-drains" in note and "404" in note for note in fetched.notes)
    assert chapel["email"] == ""  # no link to a page of its own


def test_no_more_item_pages_are_opened_than_the_target_allows(directory):
    fetched = fetch(WEB, with_details(directory, max=1), {})

    assert "/plumbers/leeds/aire-valley/" in directory.requested_paths()
    assert "/plumbers/leeds/headingley-heating/" not in directory.requested_paths()
    assert "Details read for the first 1 items only (details max)." in fetched.notes
    assert all(len(row) == len(fetched.headers) for row in fetched.rows)


def test_details_without_fields_say_why(directory):
    with pytest.raises(SourceFailed, match="details names no fields"):
        fetch(WEB, with_details(directory, fields={}), {})
