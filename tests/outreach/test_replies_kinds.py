"""The return day an out-of-office names, in the ways people write it, and what a cleaned HTML body keeps."""

import datetime as dt

import pytest

from outreach.html_clean import html_clean
from outreach.inbound_kinds import return_date

WRITTEN = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("I will be back on 14 December 2026.", dt.date(2026, 12, 14)),
        ("Returning 2026-12-14, with limited access until then.", dt.date(2026, 12, 14)),
        ("I'm out of the office until December 14th, 2026.", dt.date(2026, 12, 14)),
        ("Back on 12 January.", dt.date(2027, 1, 12)),  # written in December: next year
        ("I am away from 3 December until 9 December.", dt.date(2026, 12, 9)),
        ("Ich bin bis zum 14.12.2026 nicht im Büro.", dt.date(2026, 12, 14)),
        ("Je serai de retour le 7 décembre.", dt.date(2026, 12, 7)),
        ("Estaré fuera hasta el 10 de diciembre.", dt.date(2026, 12, 10)),
        ("Back 12/14.", dt.date(2026, 12, 14)),
        ("I am back on Monday.", None),
        ("Thanks for your email, I'll read it later.", None),
        ("Back on 1 December 2026.", None),  # before it was written
        ("Back on 1 December 2031.", None),  # further than a year: not a return date
    ],
)
def test_the_return_date_of_an_out_of_office(text, day):
    assert return_date(text, received=WRITTEN) == day


def test_cleaned_html_keeps_formatting_and_safe_links_only():
    shown = html_clean(
        '<p style="x" onclick="steal()">Hi <b>Sam</b></p><a href="https://acme.example/x">rates</a>'
        '<a href="javascript:alert(1)">bad</a><img src="https://pixel.example/o.gif"><iframe src="//x"></iframe>'
        "<script>alert(1)</script><form action=/x><input name=p></form>"
    )
    assert shown == (
        '<p>Hi <b>Sam</b></p><a href="https://acme.example/x" rel="noopener noreferrer">rates</a>'
        '<a rel="noopener noreferrer">bad</a>'
    )
