"""The outbound HTTP session refuses private addresses in every spelling, at connect time and on every redirect,
connects only to the address it checked, and keeps its timeouts, retries, size cap, rate limit and robots.txt."""

import datetime
import ipaddress
import socket
import ssl
import threading

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Response

from leadflow.http import (
    USER_AGENT,
    BlockedAddress,
    HostRateLimiter,
    ResponseTooLarge,
    RobotsCache,
    http_session,
    is_public_address,
)


@pytest.fixture(autouse=True)
def outbound_settings(local_stand_ins):
    return local_stand_ins


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers for made-up host names, each a list of addresses per look-up; the last answer repeats. Other names and
    address literals go to the real resolver. Returns the look-ups made for the made-up names."""
    real_getaddrinfo = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        addresses = answers[host][min(lookups.count(host), len(answers[host])) - 1]
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


@pytest.fixture
def connects(monkeypatch):
    """Where sockets try to connect; every attempt is refused, as an unreachable public host would be."""
    attempts = []

    def connect(sock, address):
        attempts.append(address[:2])
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


PRIVATE_SPELLINGS = [
    "http://127.0.0.1/",
    "http://2130706433/",  # 127.0.0.1 in decimal
    "http://0x7f000001/",  # in hex
    "http://0177.0.0.1/",  # in octal
    "http://017700000001/",  # one octal number
    "http://127.1/",  # short form
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",  # IPv4-mapped, in hex
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://0.0.0.0/",
    "http://[::]/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://2852039166/",  # the metadata address in decimal
    "http://0xa9fea9fe/",  # and in hex
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6 (unique-local)
    "http://[fc00::1]/",
    "http://[fe80::1]/",  # IPv6 link-local
    "http://[fec0::1]/",  # IPv6 site-local
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",
    "http://240.0.0.1/",  # reserved
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
]


@pytest.mark.parametrize("url", PRIVATE_SPELLINGS)
def test_every_spelling_of_a_private_address_is_refused_before_connecting(url, connects):
    with http_session() as session, pytest.raises(BlockedAddress, match=r"^Refused: .* resolves to a private address"):
        session.get(url)
    assert connects == []


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address))


def test_a_public_looking_name_resolving_to_a_private_address_is_refused(fake_dns, connects):
    answers, _ = fake_dns
    answers["crm-partner.example"] = [["10.0.0.5"]]
    with http_session() as session, pytest.raises(BlockedAddress) as refusal:
        session.get("http://crm-partner.example/api")
    assert str(refusal.value) == "Refused: crm-partner.example resolves to a private address (10.0.0.5)."
    assert connects == []


def test_a_name_is_refused_when_any_of_its_addresses_is_private(fake_dns, connects):
    answers, _ = fake_dns
    answers["mixed.example"] = [["93.184.215.14", "127.0.0.1"]]
    with http_session() as session, pytest.raises(BlockedAddress, match=r"\(127\.0\.0\.1\)"):
        session.get("http://mixed.example/")
    assert connects == []


def test_dns_rebinding_cannot_pass_the_socket_connects_to_the_address_that_was_checked(fake_dns, connects):
    answers, lookups = fake_dns
    # The first answer is public; any later look-up would say loopback.
    answers["rebind.example"] = [["93.184.215.14"], ["127.0.0.1"]]
    with http_session() as session, pytest.raises(BlockedAddress, match=r"\(127\.0\.0\.1\)"):
        session.get("http://rebind.example/")
    # The first connection went to the address checked, with no second look-up; the retry after it failed is a new
    # connection, so it looked the name up again, and that answer was refused before any connect.
    assert lookups == ["rebind.example", "rebind.example"]
    assert connects == [("93.184.215.14", 80)]


def test_a_private_first_answer_is_refused_even_if_a_later_one_would_be_public(fake_dns, connects):
    answers, lookups = fake_dns
    answers["rebind.example"] = [["169.254.169.254"], ["93.184.215.14"]]
    with http_session() as session, pytest.raises(BlockedAddress):
        session.get("http://rebind.example/")
    assert lookups == ["rebind.example"]
    assert connects == []


def test_only_the_host_names_allowed_may_reach_a_private_address(httpserver, outbound_settings):
    httpserver.expect_request("/ping").respond_with_data("pong")
    with http_session() as session:
        assert session.get(httpserver.url_for("/ping")).text == "pong"
        # The same server under another spelling of its address is not allowed.
        with pytest.raises(BlockedAddress):
            session.get(f"http://127.1:{httpserver.port}/ping")
    outbound_settings.HTTP_ALLOW_PRIVATE_HOSTS = []
    with http_session() as session, pytest.raises(BlockedAddress, match="Refused: localhost resolves"):
        session.get(httpserver.url_for("/ping"))


def test_every_redirect_hop_is_checked_again(httpserver):
    httpserver.expect_request("/hop").respond_with_data("", status=302, headers={"Location": "/landing"})
    httpserver.expect_request("/landing").respond_with_data("landed")
    httpserver.expect_request("/to-loopback").respond_with_data(
        "", status=302, headers={"Location": f"http://127.0.0.1:{httpserver.port}/landing"}
    )
    httpserver.expect_request("/to-metadata").respond_with_data(
        "", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with http_session() as session:
        # A redirect on the allowed host is followed...
        assert session.get(httpserver.url_for("/hop")).text == "landed"
        # ...but one to an address the host name does not cover is refused.
        with pytest.raises(BlockedAddress, match=r"Refused: 127\.0\.0\.1 resolves"):
            session.get(httpserver.url_for("/to-loopback"))
        with pytest.raises(BlockedAddress, match=r"Refused: 169\.254\.169\.254 resolves"):
            session.get(httpserver.url_for("/to-metadata"))


def test_redirects_are_capped_and_stay_on_http(httpserver, outbound_settings):
    outbound_settings.HTTP_MAX_REDIRECTS = 3
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    httpserver.expect_request("/to-file").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    with http_session() as session:
        with pytest.raises(requests.TooManyRedirects):
            session.get(httpserver.url_for("/loop"))
        with pytest.raises(requests.exceptions.InvalidSchema):
            session.get(httpserver.url_for("/to-file"))
    assert len([request for request, _ in httpserver.log if request.path == "/loop"]) == 4


def test_a_proxy_in_the_environment_cannot_route_around_the_guard(httpserver, monkeypatch):
    # A proxy connection would be checked as the proxy's address, never as the site's: the session ignores them.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    httpserver.expect_request("/direct").respond_with_data("direct")
    with http_session() as session:
        assert session.get(httpserver.url_for("/direct")).text == "direct"


def test_requests_name_leadflow_as_their_user_agent(httpserver):
    httpserver.expect_request("/ua", headers={"User-Agent": USER_AGENT}).respond_with_data("ok")
    with http_session() as session:
        assert session.get(httpserver.url_for("/ua")).status_code == 200


def test_a_429_is_retried_after_the_wait_the_server_asks_for(httpserver, slept):
    httpserver.expect_ordered_request("/rate").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/rate").respond_with_data("done")
    with http_session() as session:
        response = session.get(httpserver.url_for("/rate"))
    assert (response.status_code, response.text) == (200, "done")
    assert slept == [7]


def test_a_huge_retry_after_is_capped(httpserver, slept, outbound_settings):
    outbound_settings.HTTP_RETRY_AFTER_MAX = 30
    httpserver.expect_ordered_request("/rate").respond_with_data("", status=503, headers={"Retry-After": "86400"})
    httpserver.expect_ordered_request("/rate").respond_with_data("done")
    with http_session() as session:
        assert session.get(httpserver.url_for("/rate")).text == "done"
    assert slept == [30]


def test_server_errors_are_retried_with_backoff_then_reported(httpserver, slept):
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    with http_session() as session, pytest.raises(requests.exceptions.RetryError, match="too many 500 error responses"):
        session.get(httpserver.url_for("/broken"))
    assert len(httpserver.log) == 4
    assert slept == [0.5, 1, 2]


def test_a_body_over_the_size_cap_is_refused_by_its_length(httpserver, outbound_settings):
    outbound_settings.HTTP_MAX_BYTES = 1000
    httpserver.expect_request("/big").respond_with_data("x" * 1001)
    httpserver.expect_request("/fits").respond_with_data("x" * 1000)
    with http_session() as session:
        with pytest.raises(ResponseTooLarge, match="is 1,001 bytes, more than 1,000"):
            session.get(httpserver.url_for("/big"))
        assert len(session.get(httpserver.url_for("/fits")).content) == 1000


def test_a_streamed_body_over_the_size_cap_stops_being_read(httpserver, outbound_settings):
    outbound_settings.HTTP_MAX_BYTES = 1000
    # No Content-Length: the size is only known by reading. A new body for each request.
    httpserver.expect_request("/endless").respond_with_handler(lambda request: Response(iter([b"x" * 600] * 50)))
    with http_session() as session:
        with pytest.raises(ResponseTooLarge, match="sent more than 1,000 bytes"):
            session.get(httpserver.url_for("/endless"))
        with pytest.raises(ResponseTooLarge):
            response = session.get(httpserver.url_for("/endless"), stream=True)
            b"".join(response.iter_content(100))


def test_a_server_that_does_not_answer_times_out(httpserver, outbound_settings):
    outbound_settings.HTTP_TIMEOUT = 0.2
    release = threading.Event()

    def hang(request):
        release.wait(10)
        return Response("late")

    httpserver.expect_request("/hang").respond_with_handler(hang)
    try:
        with http_session() as session, pytest.raises(requests.exceptions.ReadTimeout):
            session.get(httpserver.url_for("/hang"), timeout=None)
    finally:
        release.set()


def test_the_rate_limiter_spaces_requests_to_each_host():
    now = [100.0]
    waits = []
    limiter = HostRateLimiter(clock=lambda: now[0], sleep=waits.append)
    limiter.wait("a.example", rate=2)
    limiter.wait("a.example", rate=2)
    limiter.wait("b.example", rate=2)
    limiter.wait("a.example", rate=2)
    assert waits == [0.5, 1.0]
    now[0] += 5
    limiter.wait("a.example", rate=2)
    assert waits == [0.5, 1.0]


def test_the_session_waits_its_turn_for_a_host(httpserver, outbound_settings, slept):
    outbound_settings.HTTP_RATE_PER_HOST = 0.5
    httpserver.expect_request("/page").respond_with_data("ok")
    with http_session() as session:
        session.get(httpserver.url_for("/page"))
        session.get(httpserver.url_for("/page"))
    assert len(slept) == 1
    assert 0 < slept[0] <= 2


def test_robots_txt_is_honoured_and_read_once_per_site(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    robots = RobotsCache()
    assert not robots.allowed(httpserver.url_for("/private/page"))
    assert robots.allowed(httpserver.url_for("/team"))
    assert robots.allowed(httpserver.url_for("/about"), user_agent="SomeBot")
    assert len(httpserver.log) == 1


def test_robots_txt_rules_for_leadflow_apply_to_leadflow(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: Leadflow\nDisallow: /\n")
    robots = RobotsCache()
    assert not robots.allowed(httpserver.url_for("/team"))
    assert robots.allowed(httpserver.url_for("/team"), user_agent="OtherBot")


def test_a_missing_robots_txt_allows_and_an_unreadable_one_forbids(httpserver, slept):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    assert RobotsCache().allowed(httpserver.url_for("/team"))
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=503)
    assert not RobotsCache().allowed(httpserver.url_for("/team"))


def test_robots_txt_is_not_fetched_from_a_private_address(connects):
    assert not RobotsCache().allowed("http://10.0.0.5/team")
    assert connects == []


def _self_signed_certificate_write(host: str, cert_path, key_path) -> None:
    """A one-day self-signed certificate naming `host` only, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.fixture
def https_server(tmp_path):
    """A local HTTPS server whose certificate names "localhost" only; yields it, its certificate and the names that
    clients sent in SNI."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    _self_signed_certificate_write("localhost", cert, key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni_names = []
    context.sni_callback = lambda _socket, name, _context: sni_names.append(name)
    server = HTTPServer(ssl_context=context)
    server.start()
    yield server, cert, sni_names
    server.clear()
    server.stop()


def test_https_checks_the_certificate_and_sends_sni_for_the_host_name_while_connecting_to_the_checked_address(
    https_server, outbound_settings, slept
):
    server, cert, sni_names = https_server
    server.expect_request("/secure").respond_with_data("secret")
    outbound_settings.HTTP_ALLOW_PRIVATE_HOSTS = ["localhost", "127.0.0.1"]
    with http_session() as session:
        assert session.get(f"https://localhost:{server.port}/secure", verify=str(cert)).text == "secret"
        assert sni_names == ["localhost"]
        # The same server by address: the certificate does not name 127.0.0.1, so the connection is refused.
        with pytest.raises(requests.exceptions.SSLError, match=r"not valid for '127\.0\.0\.1'"):
            session.get(f"https://127.0.0.1:{server.port}/secure", verify=str(cert))
        # And without the certificate trusted, nothing is accepted.
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://localhost:{server.port}/secure")
    # A certificate error is final: no retries, so no waits between them.
    assert slept == []


def test_an_odd_content_length_is_not_taken_for_a_size(httpserver, outbound_settings):
    # "²".isdigit() is true but int() refuses it: a server's header must not crash the size check.
    outbound_settings.HTTP_MAX_BYTES = 1000
    httpserver.expect_request("/odd").respond_with_handler(
        lambda request: Response(iter([b"x" * 600] * 2), headers={"Content-Length": "\u00b2"})
    )
    with http_session() as session, pytest.raises(ResponseTooLarge, match="sent more than 1,000 bytes"):
        session.get(httpserver.url_for("/odd"))
