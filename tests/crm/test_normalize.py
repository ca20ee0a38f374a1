"""crm.normalize: the messy cells real imports bring, and what each one becomes."""

import pytest
from email_validator import EmailNotValidError, validate_email
from nameparser import Parser

from crm.normalize import (
    NormalizeError,
    company_domain_from_email,
    company_key,
    country_region,
    domain_from_url,
    domain_region,
    email_canonical,
    email_domain,
    email_domain_typo,
    email_normalize,
    email_split,
    is_disposable_mail,
    is_free_mail,
    is_placeholder,
    linkedin_canonical,
    linkedin_slug,
    name_capitalize,
    name_split,
    person_key,
    phone_e164,
    phone_split,
    social_domain,
    text_clean,
    text_fit,
    website_normalize,
)
from crm.normalize.text import text_shorten


def reason(func, *args, **kwargs) -> str:
    """The message of the NormalizeError that func raises."""
    with pytest.raises(NormalizeError) as error:
        func(*args, **kwargs)
    return str(error.value)


# --- emails ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("  Jane.Doe@Example.COM  ", "jane.doe@example.com"),
        ("JANE@ACME.CO.UK", "jane@acme.co.uk"),
        ("Jane Doe <Jane@Acme.com>", "jane@acme.com"),
        ('"Doe, Jane" <jane@acme.com>', "jane@acme.com"),
        ("Doe, Jane <jane@acme.com>", "jane@acme.com"),  # Outlook's unquoted form
        ("<jane@acme.com>", "jane@acme.com"),
        ("mailto:jane@acme.com", "jane@acme.com"),
        ("MAILTO:Jane@Acme.com?subject=Hello", "jane@acme.com"),
        ("mailto:jane%40acme.com", "jane@acme.com"),
        ("\ufeffjane@acme.com\u200b", "jane@acme.com"),  # BOM and zero-width space from a pasted cell
        ("jane@acme.com\u00a0", "jane@acme.com"),  # trailing no-break space
        ("jane+news@gmail.com", "jane+news@gmail.com"),  # the tag stays; email_canonical drops it
        ("o'brien@acme.ie", "o'brien@acme.ie"),
        ("priya.sharma@tcs.co.in", "priya.sharma@tcs.co.in"),
        ("jösé@exämple.com", "jösé@exämple.com"),
        ("jane@xn--bcher-kva.de", "jane@bücher.de"),  # punycode shown as letters, as the library does
        ("alice@leadflow.test", "alice@leadflow.test"),  # reserved .test domain allowed for fixtures
        ("", ""),
        ("   ", ""),
        ("n/a", ""),
        ("N/A", ""),
        ("-", ""),
        ("none", ""),
    ],
)
def test_it_normalizes_emails(value, expected):
    assert email_normalize(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("jane", "not a valid email address: missing @"),
        ("jane.acme.com", "not a valid email address: missing @"),
        ("jane@", "not a valid email address: there must be something after the @-sign"),
        ("@acme.com", "not a valid email address: there must be something before the @-sign"),
        ("jane@acme", "not a valid email address: the part after the @-sign is not valid. It should have a period"),
        ("jane..doe@acme.com", "not a valid email address: an email address cannot have two periods in a row"),
        (
            "jane doe@acme.com",
            "not a valid email address: the email address contains invalid characters before the @-sign: SPACE",
        ),
        ("jane@acme_corp.com", "not a valid email address: the part after the @-sign contains invalid characters: '_'"),
        ("jane@acme.com.", "not a valid email address: an email address cannot end with a period"),
        (
            "jane@x.local",
            "not a valid email address: the part after the @-sign is a special-use or reserved name"
            " that cannot be used with email",
        ),
        ("jane@acme.com; bob@acme.com", "not a valid email address: more than one address"),
        ("jane@acme.com, bob@acme.com", "not a valid email address: more than one address"),
        ("jane@acme.com / bob@acme.com", "not a valid email address: more than one address"),
    ],
)
def test_it_refuses_bad_emails_with_the_librarys_reason(value, message):
    assert reason(email_normalize, value) == message


@pytest.mark.parametrize(
    ("domain", "provider"),
    [
        ("gmial.com", "gmail.com"),
        ("gmail.comh", "gmail.com"),
        ("gimail.com", "gmail.com"),
        ("gmai.com", "gmail.com"),
        ("gmail.co", "gmail.com"),
        ("gmail.con", "gmail.com"),
        ("gmial.con", "gmail.com"),  # two slips, but .con is no real suffix
        ("hotmial.com", "hotmail.com"),
        ("yaho.com", "yahoo.com"),  # listed as free mail by the shipped list, and still a typo
        ("outlok.com", "outlook.com"),
        ("icloud.co", "icloud.com"),
        ("aol.con", "aol.com"),
    ],
)
def test_it_knows_a_big_mail_provider_mistyped(domain, provider):
    assert email_domain_typo(domain) == provider


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.co.uk",
        "hotmail.fr",
        "outlook.de",
        "ymail.com",  # Yahoo's own, not a gmail typo
        "email.com",  # a provider of its own, one letter from gmail.com
        "live.co",  # short names: one slip from live.com is too often a real company (hive.com, love.com)
        "hive.com",
        "cloud.com",
        "comcast.com",
        "acme.example",
        "gmail.de",
    ],
)
def test_it_leaves_real_domains_alone(domain):
    assert email_domain_typo(domain) == ""


@pytest.mark.parametrize(
    ("cell", "addresses"),
    [
        ("jane@acme.com", ["jane@acme.com"]),
        ("Doe, Jane <jane@acme.com>", ["Doe, Jane <jane@acme.com>"]),  # one address: left to email_normalize
        ("jane@acme.com ::: jane@home.example", ["jane@acme.com", "jane@home.example"]),  # Google
        ("jane@acme.com, jd@acme.com", ["jane@acme.com", "jd@acme.com"]),  # Pipedrive
        ("ops@acme.com;it@acme.com", ["ops@acme.com", "it@acme.com"]),  # HubSpot
        ("Jane <jane@acme.com>\nBob <bob@acme.com>", ["jane@acme.com", "bob@acme.com"]),
    ],
)
def test_it_splits_a_cell_of_several_addresses(cell, addresses):
    assert email_split(cell) == addresses


@pytest.mark.parametrize(
    "address",
    [
        "jane@acme.com",
        "Jane.Doe@Acme.com",
        "a.b-c_d+e@sub.acme.co.uk",
        "x!#$%&'*/=?^`{|}~@acme.com",
        "jane@acme..com",
        "jane@-acme.com",
        "jane@acme-.com",
        "jane@acme.c",
        "jane@a.invalid",
        "jane@1.2.3.4",
        "jane@" + "a" * 64 + ".com",
        "a" * 64 + "@acme.com",
        "a" * 65 + "@acme.com",
    ],
)
def test_it_gives_the_same_verdict_as_email_validator_on_plain_ascii_addresses(address):
    # email_normalize checks the local part of plain ASCII addresses itself and asks the library only
    # about the domain; this proves the shortcut changes nothing.
    try:
        expected = validate_email(address, check_deliverability=False, test_environment=True).normalized.lower()
    except EmailNotValidError as error:
        reason = str(error).rstrip(".")
        expected = f"not a valid email address: {reason[0].lower()}{reason[1:]}"
    try:
        got = email_normalize(address)
    except NormalizeError as error:
        got = str(error)
    assert got == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("Jane@Acme.com", "jane@acme.com"),
        ("jane+newsletter@acme.com", "jane@acme.com"),
        ("jane.doe+crm@outlook.com", "jane.doe@outlook.com"),  # dots only matter to Gmail
        ("Jane.Doe@gmail.com", "janedoe@gmail.com"),
        ("j.a.n.e.doe+linkedin@gmail.com", "janedoe@gmail.com"),
        ("Jane.Doe+x@GoogleMail.com", "janedoe@gmail.com"),
        ("janedoe@googlemail.com", "janedoe@gmail.com"),
        ("+team@acme.com", "+team@acme.com"),  # nothing but a tag: kept rather than an empty key
        ("Jane Doe <Jane.Doe+x@Gmail.com>", "janedoe@gmail.com"),
        (" jane@acme.com ", "jane@acme.com"),
        ("", ""),
        ("n/a", ""),
    ],
)
def test_it_builds_the_email_matching_key(email, expected):
    assert email_canonical(email) == expected


def test_it_refuses_a_key_for_something_that_is_not_an_address():
    assert reason(email_canonical, "jane doe") == "not a valid email address: missing @"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane@acme.com", "acme.com"),
        ("jane@ACME.co.uk", "acme.co.uk"),
        ("jane@mail.Acme.com.au", "mail.acme.com.au"),
        ("jane@xn--bcher-kva.de", "bücher.de"),
        ("Jane <jane@Acme.com>", "acme.com"),
        ("", ""),
    ],
)
def test_it_takes_the_domain_of_an_address(email, expected):
    assert email_domain(email) == expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", True),
        ("googlemail.com", True),
        ("GMAIL.COM", True),
        ("@gmail.com", True),
        ("jane@gmail.com", True),
        ("yahoo.com", True),
        ("yahoo.co.in", True),
        ("yahoo.co.uk", True),
        ("yahoo.com.br", True),
        ("ymail.com", True),
        ("outlook.com", True),
        ("outlook.in", True),
        ("hotmail.com", True),
        ("hotmail.co.uk", True),
        ("live.com", True),
        ("live.fr", True),
        ("msn.com", True),
        ("icloud.com", True),
        ("me.com", True),
        ("aol.com", True),
        ("proton.me", True),
        ("protonmail.com", True),
        ("gmx.de", True),
        ("gmx.net", True),
        ("web.de", True),
        ("mail.ru", True),
        ("yandex.ru", True),
        ("yandex.com.tr", True),
        ("rediffmail.com", True),
        ("qq.com", True),
        ("163.com", True),
        ("acme.com", False),
        ("acme.co.uk", False),
        ("tcs.co.in", False),
        ("google.com", False),
        ("microsoft.com", False),
        ("", False),
    ],
)
def test_it_knows_free_mail_providers(domain, expected):
    assert is_free_mail(domain) is expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("mailinator.com", True),
        ("guerrillamail.com", True),
        ("10minutemail.com", True),
        ("MAILINATOR.COM", True),
        ("acme.com", False),
        ("gmail.com", False),
        ("", False),
    ],
)
def test_it_knows_disposable_mail_providers(domain, expected):
    assert is_disposable_mail(domain) is expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane@acme.com", "acme.com"),
        ("Jane@ACME.COM", "acme.com"),
        ("jane@eu.acme.co.uk", "acme.co.uk"),
        ("jane@mail.acme.com.au", "acme.com.au"),
        ("priya@infosys.co.in", "infosys.co.in"),
        ("hans@siemens.de", "siemens.de"),
        ("jane@gmail.com", ""),
        ("jane@googlemail.com", ""),
        ("priya@yahoo.co.in", ""),
        ("jane@outlook.com", ""),
        ("jane@hotmail.co.uk", ""),
        ("jane@mailinator.com", ""),
        ("ada@mail.engines.example", "engines.example"),
        ("", ""),
    ],
)
def test_it_finds_the_company_domain_of_a_work_address(email, expected):
    assert company_domain_from_email(email) == expected


# --- domains and websites -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Acme.co.uk/about", "acme.co.uk"),
        ("acme.com", "acme.com"),
        ("ACME.COM", "acme.com"),
        ("www.acme.com/", "acme.com"),
        ("http://shop.acme.com.au/cart?x=1#top", "acme.com.au"),
        ("acme.co.in/contact-us", "acme.co.in"),
        ("https://blog.acme.co.jp", "acme.co.jp"),
        ("https://www.acme.com:8443/login", "acme.com"),
        ("acme.com.", "acme.com"),
        ('=HYPERLINK("https://www.acme.com/","Acme")', "acme.com"),
        ("https://acme.wixsite.com/home", "acme.wixsite.com"),  # hosted sites are their own company
        ("acme.github.io", "acme.github.io"),
        ("http://xn--bcher-kva.de", "bücher.de"),
        ("https://www.engines.example/", "engines.example"),  # reserved for examples: a domain like any other
        ("leadflow.test", "leadflow.test"),
        ("localhost", ""),
        ("http://localhost:8000/", ""),
        ("n/a", ""),
        ("192.168.1.10", ""),
        ("http://[::1]/", ""),
        ("Acme Corporation", ""),
        ("jane@acme.com", ""),
        ("ftp://acme.com", ""),
        ("", ""),
    ],
)
def test_it_finds_the_registrable_domain_of_a_url(value, expected):
    assert domain_from_url(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("acme.com", "https://acme.com"),
        ("www.acme.com", "https://www.acme.com"),
        ("www.Acme.COM/", "https://www.acme.com"),
        ("https://acme.com/", "https://acme.com"),
        ("http://acme.com", "http://acme.com"),  # the scheme the writer gave is kept
        ("HTTPS://WWW.ACME.COM/About/#team", "https://www.acme.com/About/"),
        ("https://acme.com/about/", "https://acme.com/about/"),
        ("acme.co.uk/contact?ref=1#form", "https://acme.co.uk/contact?ref=1"),
        ("acme.com/?utm_source=linkedin&utm_medium=social", "https://acme.com"),
        ("acme.com/pricing?plan=pro&utm_campaign=x&gclid=abc", "https://acme.com/pricing?plan=pro"),
        ("acme.com:443", "https://acme.com"),
        ("http://acme.com:80/", "http://acme.com"),
        ("acme.com:8080/app", "https://acme.com:8080/app"),
        ("//acme.com", "https://acme.com"),
        ("https//acme.com", "https://acme.com"),
        ("http:/acme.com", "http://acme.com"),
        ("https:\\\\acme.com", "https://acme.com"),
        ("https://acme.com/about us", "https://acme.com/about%20us"),
        ("<https://acme.com>", "https://acme.com"),
        ('"www.acme.com.au"', "https://www.acme.com.au"),
        ('=HYPERLINK("https://www.acme.com","Acme Inc")', "https://www.acme.com"),
        ('=HYPERLINK("www.acme.de";"Acme GmbH")', "https://www.acme.de"),  # semicolon locales
        ('=hyperlink("acme.co.in")', "https://acme.co.in"),
        ('\'=HYPERLINK("acme.com","Acme")', "https://acme.com"),  # re-imported from our own export
        ("https://bücher.de", "https://bücher.de"),
        ("", ""),
        ("n/a", ""),
        ("-", ""),
    ],
)
def test_it_normalizes_websites(value, expected):
    assert website_normalize(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("jane@acme.com", "not a web address: looks like an email address"),
        ("mailto:jane@acme.com", "not a web address"),
        ("ftp://files.acme.com", "not a web address: ftp:// is not http or https"),
        ("javascript:alert(1)", "not a web address"),
        ("https://user:secret@acme.com", "not a web address: contains a user name or password"),
        ("localhost", "not a web address"),
        ("acme", "not a web address"),
        ("Acme Corporation", "not a web address"),
        ("acme.com www.acme.co.uk", "not a web address"),
        ("192.168.1.10", "not a web address: no domain name"),
        ("https://co.uk", "not a web address: no domain name"),
        ("acme.com:99999", "not a web address"),
        ("https://", "not a web address"),
    ],
)
def test_it_refuses_things_that_are_not_web_addresses(value, message):
    assert reason(website_normalize, value) == message


# --- phones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),  # UK landline
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+44 7911 123456", "+447911123456"),  # UK mobile
        ("(415) 555-0132", "+14155550132"),  # US, read in the default region
        ("415.555.0132", "+14155550132"),
        ("1-415-555-0132", "+14155550132"),
        ("+1 415 555 0132 ext. 12", "+14155550132"),  # extensions dropped
        ("415-555-0132 x12", "+14155550132"),
        ("tel:+1-415-555-0132", "+14155550132"),
        ("tel:+14155550132;ext=12", "+14155550132"),
        ("+91 98765 43210", "+919876543210"),  # India mobile
        ("+91-98765-43210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("919876543210", "+919876543210"),  # a spreadsheet ate the +
        ("447911123456", "+447911123456"),
        ("447911123456.0", "+447911123456"),  # through a float column
        ("00 49 30 123456", "+4930123456"),  # Germany, 00 international prefix
        ("+49 (0)30 1234567", "+49301234567"),
        ("+49 89 12345678", "+498912345678"),
        ("011 44 20 7946 0958", "+442079460958"),  # the US international prefix
        ("+61 2 9374 4000", "+61293744000"),
        ("'+44 20 7946 0958", "+442079460958"),  # re-imported from our own export
        ("", ""),
        ("n/a", ""),
        ("-", ""),
    ],
)
def test_it_formats_phones_as_e164(value, expected):
    assert phone_e164(value, region="US") == expected


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("07911 123456", "GB", "+447911123456"),
        ("2079460958", "GB", "+442079460958"),  # a spreadsheet dropped the leading 0
        ("98765 43210", "IN", "+919876543210"),
        ("098765 43210", "IN", "+919876543210"),
        ("030 1234567", "DE", "+49301234567"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("0011 44 20 7946 0958", "AU", "+442079460958"),  # Australia's international prefix
        ("+1 415 555 0132", "IN", "+14155550132"),  # a + number ignores the region
        ("020 7946 0958", "gb", "+442079460958"),
    ],
)
def test_it_reads_national_numbers_in_the_region_given(value, region, expected):
    assert phone_e164(value, region=region) == expected


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("8 (495) 123-45-67", "RU", "+74951234567"),  # read for the US, this was a Vietnamese number
        ("08-123 456 78", "SE", "+46812345678"),
        ("070-123 45 67", "SE", "+46701234567"),
        ("020 123 4567", "NL", "+31201234567"),
        ("06 12345678", "NL", "+31612345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("p:+919876543210", "US", "+919876543210"),  # Meta lead ads
    ],
)
def test_it_reads_other_countries_national_numbers_and_meta_phones(value, region, expected):
    assert phone_e164(value, region=region) == expected


@pytest.mark.parametrize(
    ("cell", "numbers"),
    [
        ("+1 555 0100", ["+1 555 0100"]),
        ("030/1234567", ["030/1234567"]),  # a "/" inside a number is part of it
        ("06 12345678 ::: 020 123 4567", ["06 12345678", "020 123 4567"]),  # Google
        ("(312) 555-0170, (312) 555-0171", ["(312) 555-0170", "(312) 555-0171"]),  # Pipedrive
        ("+44 20 7946 0958; +44 7700 900123", ["+44 20 7946 0958", "+44 7700 900123"]),
        ("415-555-0132 / 415-555-0199", ["415-555-0132", "415-555-0199"]),
        ("+1 555 0100\n+1 555 0101", ["+1 555 0100", "+1 555 0101"]),
        ("+1 212 555 0100, ext. 12", ["+1 212 555 0100, ext. 12"]),  # an extension stays with its number
    ],
)
def test_it_splits_a_cell_of_several_numbers(cell, numbers):
    assert phone_split(cell) == numbers


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("Россия", "RU"),
        ("日本", "JP"),
        ("Deutschland", "DE"),
        ("DE", "DE"),
        ("de", "DE"),
        ("Nederland", "NL"),
        ("Netherlands", "NL"),
        ("Holland", "NL"),
        ("Sverige", "SE"),
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("Österreich", "AT"),
        ("osterreich", "AT"),
        ("España", "ES"),
        ("Côte d'Ivoire", "CI"),
        ("Korea, Republic of", "KR"),
        ("中国", "CN"),
        ("  Japan ", "JP"),
        ("Madrid, Community of Madrid, Spain", "ES"),  # a location: its last part
        ("Deutschland (DE)", "DE"),
        ("Narnia", ""),
        ("San Francisco Bay Area", ""),
        ("XX", ""),
        ("", ""),
    ],
)
def test_it_knows_a_country_in_any_language_or_code(value, region):
    assert country_region(value) == region


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("acme.se", "SE"),
        ("acme.co.uk", "GB"),
        ("acme.de", "DE"),
        ("yahoo.co.jp", "JP"),
        ("acme.com", ""),
        ("acme.io", ""),  # country codes sold as generic names say nothing
        ("acme.co", ""),
        ("acme.ai", ""),
        ("acme.eu", ""),
        ("acme.example", ""),
        ("", ""),
    ],
)
def test_it_reads_a_country_from_a_country_code_domain(host, region):
    assert domain_region(host) == region


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4.47911E+11", "looks like a spreadsheet turned it into scientific notation; digits were lost"),
        ("4,47911E+11", "looks like a spreadsheet turned it into scientific notation; digits were lost"),
        ("9.19877E+11", "looks like a spreadsheet turned it into scientific notation; digits were lost"),
        ("1.5e10", "looks like a spreadsheet turned it into scientific notation; digits were lost"),
        ("12", "not a valid phone number for US"),
        ("555-0132", "not a valid phone number for US"),
        ("+1 555 555 5555", "not a valid phone number for US"),
        ("+44 20 7946", "not a valid phone number for GB"),
        ("+91 98765 4321", "not a valid phone number for IN"),  # a digit short
        ("+999 123 4567", "not a valid phone number: unknown country code"),
        ("call me", "not a phone number"),
        ("415-555-0132 / 415-555-0199", "not a valid phone number for US"),
    ],
)
def test_it_refuses_phones_that_are_not_numbers_anyone_can_call(value, message):
    assert reason(phone_e164, value, region="US") == message


def test_it_names_the_region_it_read_a_bad_national_number_in():
    assert reason(phone_e164, "12345", region="IN") == "not a valid phone number for IN"


def test_it_reads_national_numbers_in_the_configured_default_region(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert phone_e164("020 7946 0958") == "+442079460958"
    assert reason(phone_e164, "(415) 555-013") == "not a valid phone number for GB"


def test_it_falls_back_to_the_us_without_a_configured_region(settings):
    if hasattr(settings, "PHONE_DEFAULT_REGION"):
        del settings.PHONE_DEFAULT_REGION
    assert phone_e164("(415) 555-0132") == "+14155550132"


def test_it_stops_on_a_region_that_does_not_exist():
    # A settings mistake, not a bad cell: a plain ValueError rather than NormalizeError.
    with pytest.raises(ValueError, match="unknown phone region 'UK'") as error:
        phone_e164("020 7946 0958", region="UK")
    assert not isinstance(error.value, NormalizeError)


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("JOHN", "John"),
        ("john", "John"),
        ("  jane   ann  ", "Jane Ann"),
        ("o'neil", "O'Neil"),
        ("O'NEIL", "O'Neil"),
        ("o\u2019neil", "O\u2019Neil"),
        ("d'arcy", "D'Arcy"),
        ("mcdonald", "McDonald"),
        ("MCDONALD", "McDonald"),
        ("macdonald", "MacDonald"),
        ("mackenzie", "MacKenzie"),
        ("machado", "Machado"),  # not every Mac is a MacX
        ("mack", "Mack"),
        ("van der berg", "van der Berg"),
        ("ludwig van beethoven", "Ludwig van Beethoven"),
        ("DE LA CRUZ", "de la Cruz"),
        ("maria da silva", "Maria da Silva"),
        ("van", "Van"),  # a particle on its own is a name
        ("Jean-luc", "Jean-Luc"),
        ("jean-luc", "Jean-Luc"),
        ("MARY-KATE", "Mary-Kate"),
        ("DeShawn", "DeShawn"),  # already in mixed case: left as typed
        ("MacKenzie", "MacKenzie"),
        ("McDonald", "McDonald"),
        ("LeBron", "LeBron"),
        ("JOSÉ", "José"),
        ("émile", "Émile"),
        ("MÜLLER", "Müller"),
        ("ÅSA", "Åsa"),
        ("STRAßE", "Straße"),
        ("ka'ahumanu", "Ka'ahumanu"),
        ("john smith iii", "John Smith III"),
        ("j.r.", "J.R."),
        ("henry ford 1st", "Henry Ford 1st"),  # ordinals keep their small letters, not "1St"
        ("GEORGE 2ND", "George 2nd"),
        ("", ""),
    ],
)
def test_it_capitalizes_names_as_people_write_them(value, expected):
    assert name_capitalize(value) == expected


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Jane Doe", ("Jane", "Doe")),
        ("JANE DOE", ("Jane", "Doe")),
        ("jane  doe", ("Jane", "Doe")),
        # Middle names (and initials) stay with the first name: nothing the person is called is dropped (issue 8;
        # these three were ("Jane", "Doe"), ("Rahul", "Sharma") and ("José", "López") before).
        ("Dr. Jane Q. Doe PhD", ("Jane Q.", "Doe")),
        ("dr. jane q. doe phd", ("Jane Q.", "Doe")),
        ("Doe, Jane", ("Jane", "Doe")),
        ("DOE, JANE", ("Jane", "Doe")),
        ("Mr John Smith Jr.", ("John", "Smith")),
        ("Prof. Dr. Hans-Peter Müller", ("Hans-Peter", "Müller")),
        ("Rahul Kumar Sharma", ("Rahul Kumar", "Sharma")),
        ("Lars Ole Dahl", ("Lars Ole", "Dahl")),
        ("Dahl, Lars Ole", ("Lars Ole", "Dahl")),
        ("jane van der doe", ("Jane", "van der Doe")),
        # Four names: two given names and two surnames, as Spanish and Portuguese names are written.
        ("José María García López", ("José María", "García López")),
        ("Ana Lucía García Pérez", ("Ana Lucía", "García Pérez")),
        ("Jane Q. R. Doe", ("Jane Q. R.", "Doe")),  # initials are not surnames
        # Arabic names whole, in either script: nothing dropped.
        ("Mohammed bin Salman Al Saud", ("Mohammed bin Salman", "Al Saud")),
        ("محمد بن سلمان آل سعود", ("محمد بن سلمان", "آل سعود")),
        ("Abdullah Al-Rashid", ("Abdullah", "Al-Rashid")),
        ("Jane Doe (Janie)", ("Jane", "Doe")),
        ("o'brien", ("O'Brien", "")),
        ("Madonna", ("Madonna", "")),
        ("PRIYA", ("Priya", "")),
        ("Jean-Luc Picard", ("Jean-Luc", "Picard")),
        ("", ("", "")),
        ("   ", ("", "")),
    ],
)
def test_it_splits_full_names(full, expected):
    assert name_split(full) == expected


@pytest.mark.parametrize(
    "full",
    [
        "Jane Doe",
        "JOHN SMITH",
        "Jean-Luc Picard",
        "Shaquille O'Neal",
        "Mary Ann",
        "Priya Sharma",
        "Kim Lee",
        "Al Gore",
        "Van Morrison",
        "Dr Smith",
        "Jane PhD",
        "John Smith III",
        "John Smith II",
        "Bin Laden",
        "Abdul Rahman",
        "Mohammed al-Fayed",
        "Anne d'Arcy",
        "Lee V",
        "Madonna",
        "Sir Elton",
    ],
)
def test_it_splits_plain_names_as_nameparser_does(full):
    # Plain one- and two-word names skip the parser for speed; this proves the shortcut agrees with it.
    parsed = Parser().parse(full)
    if parsed.given or parsed.family:
        expected = (name_capitalize(parsed.given), name_capitalize(parsed.family))
    else:
        expected = (name_capitalize(full), "")
    assert name_split(full) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("José  ", "O'Brien", "jose obrien"),
        ("JOSÉ", "O\u2019BRIEN", "jose obrien"),
        ("Jean-Luc", "Picard", "jean luc picard"),
        ("Jean Luc", "Picard", "jean luc picard"),
        ("Søren", "Kierkegaard", "soren kierkegaard"),
        ("Zoë", "Łukasz", "zoe lukasz"),
        ("Jürgen", "Groß", "jurgen gross"),
        ("J.R.", "Smith, Jr.", "jr smith jr"),
        ("François", "", "francois"),
        ("", "Müller", "muller"),
        ("  ", "  ", ""),
        ("", "", ""),
    ],
)
def test_it_builds_the_person_matching_key(first, last, expected):
    assert person_key(first, last) == expected


# --- companies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("The Acme Corp., Inc.", "acme"),
        ("ACME GmbH", "acme"),
        ("Acme Inc", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme LLC", "acme"),
        ("Acme, L.L.C.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Ltd", "acme"),  # UK
        ("Acme Limited", "acme"),
        ("Acme plc", "acme"),
        ("Acme LLP", "acme"),
        ("Acme Pvt Ltd", "acme"),  # India
        ("Acme Pvt. Ltd.", "acme"),
        ("Acme Private Limited", "acme"),
        ("Acme (India) Pvt. Ltd.", "acme"),
        ("Acme Technologies Pvt Ltd", "acme technologies"),
        ("Tata Consultancy Services Limited", "tata consultancy services"),
        ("Acme AG", "acme"),  # Germany, Switzerland
        ("Müller GmbH & Co. KG", "muller"),
        ("Acme UG (haftungsbeschränkt)", "acme"),
        ("Acme e.K.", "acme"),
        ("Société Générale S.A.", "societe generale"),  # France
        ("Acme SARL", "acme"),
        ("Acme S.A.S.", "acme"),
        ("Acme S.p.A.", "acme"),  # Italy
        ("Acme S.r.l.", "acme"),
        ("Acme S.L.", "acme"),  # Spain
        ("Acme B.V.", "acme"),  # Netherlands
        ("Acme N.V.", "acme"),
        ("Acme Pty Ltd", "acme"),  # Australia
        ("Acme Pty. Limited", "acme"),
        ("Acme Pte. Ltd.", "acme"),  # Singapore
        ("Acme Sdn. Bhd.", "acme"),  # Malaysia
        ("Acme K.K.", "acme"),  # Japan
        ("Acme AB", "acme"),  # Sweden
        ("Acme Oy", "acme"),  # Finland
        ("Acme A/S", "acme"),  # Denmark
        ("Acme Ltda", "acme"),  # Brazil
        ("Acme S.A. de C.V.", "acme"),  # Mexico
        ("Procter & Gamble Co.", "procter and gamble"),
        ("Procter and Gamble", "procter and gamble"),
        ("AT&T Inc.", "at and t"),
        ("Hewlett-Packard Company", "hewlett packard"),
        ("The Home Depot", "home depot"),
        ("Home Depot, The", "home depot"),
        ("McDonald's Corporation", "mcdonalds"),
        ("3M Company", "3m"),
        ("Ford Motor Company", "ford motor"),
        ("Marks and Spencer Group plc", "marks and spencer group"),
        ("Acme Pty Ltd Inc", "acme"),  # stacked suffixes all go
        ("  acme   corp  ", "acme"),
        ("Inc", "inc"),  # nothing but a suffix: kept rather than an empty key
        ("", ""),
    ],
)
def test_it_builds_the_company_matching_key(name, expected):
    assert company_key(name) == expected


# --- LinkedIn -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.linkedin.com/in/jane-doe-123", "https://www.linkedin.com/in/jane-doe-123"),
        ("linkedin.com/in/Jane-Doe-123/", "https://www.linkedin.com/in/jane-doe-123"),
        ("www.linkedin.com/in/jane-doe-123", "https://www.linkedin.com/in/jane-doe-123"),
        ("https://uk.linkedin.com/in/jane-doe-123?trk=x", "https://www.linkedin.com/in/jane-doe-123"),
        ("https://in.linkedin.com/in/priya-sharma-9a8b7c6d", "https://www.linkedin.com/in/priya-sharma-9a8b7c6d"),
        ("https://de.linkedin.com/in/hans-mueller/de", "https://www.linkedin.com/in/hans-mueller"),
        ("http://www.linkedin.com/in/jane-doe-123/en", "https://www.linkedin.com/in/jane-doe-123"),
        ("https://www.linkedin.com/in/jane-doe-123/details/experience/", "https://www.linkedin.com/in/jane-doe-123"),
        (
            "https://www.linkedin.com/in/jane-doe-123?originalSubdomain=uk&utm_source=share",
            "https://www.linkedin.com/in/jane-doe-123",
        ),
        ("https://www.linkedin.com/in/jane-doe-123#experience", "https://www.linkedin.com/in/jane-doe-123"),
        ("HTTPS://WWW.LINKEDIN.COM/IN/JANE-DOE-123", "https://www.linkedin.com/in/jane-doe-123"),
        ("https://m.linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe"),
        ("https://in.linkedin.com/in/jos%C3%A9-garc%C3%ADa-4b1", "https://www.linkedin.com/in/josé-garcía-4b1"),
        ("https://www.linkedin.com/in/José-García", "https://www.linkedin.com/in/josé-garcía"),
        (
            "https://www.linkedin.com/in/ACoAABcDeFgHiJkLmNoP",  # member ids are case-sensitive
            "https://www.linkedin.com/in/ACoAABcDeFgHiJkLmNoP",
        ),
        ('=HYPERLINK("https://www.linkedin.com/in/jane-doe","Jane Doe")', "https://www.linkedin.com/in/jane-doe"),
        ("  linkedin.com/in/jane-doe  ", "https://www.linkedin.com/in/jane-doe"),
        ("", ""),
        ("n/a", ""),
    ],
)
def test_it_canonicalizes_linkedin_profile_urls(value, expected):
    assert linkedin_canonical(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://www.linkedin.com/company/acme-corp/", "not a LinkedIn profile URL"),
        ("https://www.linkedin.com/school/iit-bombay/", "not a LinkedIn profile URL"),
        ("https://www.linkedin.com/feed/", "not a LinkedIn profile URL"),
        ("https://www.linkedin.com/in/", "not a LinkedIn profile URL"),
        ("linkedin.com", "not a LinkedIn profile URL"),
        ("https://www.linkedin.com/sales/lead/ACwAAA123,NAME_SEARCH,abc", "not a LinkedIn profile URL"),
        ("https://twitter.com/janedoe", "not a LinkedIn profile URL"),
        ("https://linkedin.com.evil.example/in/jane-doe", "not a LinkedIn profile URL"),
        ("https://lnkd.in/abc123", "not a LinkedIn profile URL"),
        ("Jane Doe", "not a LinkedIn profile URL"),
        ("jane@acme.com", "not a LinkedIn profile URL"),
        ("linkedin.com/in/jane doe", "not a LinkedIn profile URL"),
        (
            "www.linkedin.com/pub/jane-doe/1/2/3",
            "old LinkedIn /pub/ address; open it and copy the linkedin.com/in/ address",
        ),
    ],
)
def test_it_refuses_what_is_not_a_linkedin_profile(value, message):
    assert reason(linkedin_canonical, value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://uk.linkedin.com/in/Jane-Doe-123/en?trk=x", "jane-doe-123"),
        ("linkedin.com/in/priya-sharma", "priya-sharma"),
        ("https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "josé-garcía"),
        ("", ""),
    ],
)
def test_it_gives_the_linkedin_slug(value, expected):
    assert linkedin_slug(value) == expected


def test_it_refuses_a_slug_for_a_company_page():
    assert reason(linkedin_slug, "https://www.linkedin.com/company/acme") == "not a LinkedIn profile URL"


# --- free text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("VP of Sales", "VP of Sales"),
        ("  VP of   Sales  ", "VP of Sales"),
        ("Head of\nGrowth\r\n", "Head of Growth"),
        ("Head\tof\tGrowth", "Head of Growth"),
        ("a\x00b\x07c\x7f", "abc"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("soft\u00adhyphen", "softhyphen"),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # a right-to-left override
        ("Directeur\u00a0général", "Directeur général"),
        ("Cafe\u0301", "Café"),  # decomposed accents composed
        ("developer 👩\u200d💻", "developer 👩\u200d💻"),  # zero-width joiner kept in emoji
        ("", ""),
    ],
)
def test_it_cleans_one_line_text(value, expected):
    assert text_clean(value, max_length=100) == expected


def test_it_refuses_text_longer_than_the_limit():
    assert text_clean("  " + "x" * 10 + "  ", max_length=10) == "x" * 10
    assert reason(text_clean, "x" * 11, max_length=10) == "longer than 10 characters"


def test_it_shortens_text_to_fit_with_an_ellipsis():
    assert text_fit("  Head   of Sales ", 20) == ("Head of Sales", False)
    assert text_fit("x" * 11, 10) == ("x" * 9 + "\u2026", True)
    headline = "Chief Revenue Officer | Advisor to SaaS founders | Angel investor"
    shortened, cut = text_fit(headline, 40)
    assert cut and len(shortened) <= 40 and shortened == "Chief Revenue Officer | Advisor to SaaS\u2026"
    assert text_shorten("Jane", 10) == "Jane"
    assert text_fit("", 10) == ("", False)


@pytest.mark.parametrize(
    "value",
    [
        "-", "--", "N/A", "n/a", "NA", "null", "NULL", "None", "none", "unknown", "Unknown", "not available",
        "Not Available", "TBD", "tbd", "?", "[not provided]", "[Not Provided]", "[NOT PROVIDED]", "not provided",
        "#N/A", "nan",
    ],
)  # fmt: skip
def test_placeholders_are_empty_values(value):
    assert is_placeholder(value)
    assert email_normalize(value) == phone_e164(value, "US") == website_normalize(value) == ""
    assert linkedin_canonical(value) == domain_from_url(value) == ""


@pytest.mark.parametrize("value", ["Nadia", "Tbilisi", "None of them", "n/a really", "Notprovided Ltd", "0"])
def test_values_that_only_look_like_placeholders_are_values(value):
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://www.linkedin.com/in/jane-doe", "linkedin.com"),
        ("linkedin.com/company/acme", "linkedin.com"),
        ("https://facebook.com/acme", "facebook.com"),
        ("https://x.com/acme", "x.com"),
        ("https://www.instagram.com/acme/", "instagram.com"),
        ("https://acme.example", ""),
        ("acme.github.io", ""),  # a site hosted there is the company's own
        ("", ""),
    ],
)
def test_it_knows_a_social_network_page_from_a_website(url, network):
    assert social_domain(url) == network


def test_normalize_error_is_a_value_error():
    assert issubclass(NormalizeError, ValueError)
