"""Links a page repeats on every row: reversed once per page, not once per row."""

from django.urls import reverse


def lead_url_prefix() -> str:
    """The lead page URL without its id ("/leads/"): a row's link is this, its id and a slash."""
    return reverse("crm:lead", args=[0]).removesuffix("0/")
