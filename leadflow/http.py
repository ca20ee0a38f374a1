"""The one outbound HTTP session: every provider client and every user-supplied URL goes through `http_session()`.

It sets timeouts on every request, retries 429 and 5xx answers with backoff (honouring Retry-After up to a cap),
stops reading a body past HTTP_MAX_BYTES, spaces requests to the same host, caps redirects, and refuses to connect
to private, loopback, link-local, CGNAT, metadata, multicast and reserved addresses. The address check happens when
a connection is opened, on the addresses the host name resolved to, and the socket connects to exactly the address
that was checked: a redirect opens a new connection and is checked again, and a DNS answer that changes after the
check (DNS rebinding) is never asked for. `allowed_by_robots()` reads a site's robots.txt through the same session.
"""

import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from leadflow.params import count_or

USER_AGENT = "Leadflow/1.0 (self-hosted CRM)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
# The first retry goes at once, each later one waits twice as long as the one before: 1 s, then 2 s.
BACKOFF_FACTOR = 0.5
RETRIES = 3
# Chunks a body is read in while its size is counted.
CHUNK_BYTES = 64 * 1024
# How long a site's robots.txt is trusted before it is read again.
ROBOTS_CACHE_SECONDS = 24 * 60 * 60


class BlockedAddress(ValueError):
    """The host resolves to an address Leadflow must not reach (a private network, this machine, a metadata service)."""


class ResponseTooLarge(ValueError):
    """The response body is bigger than HTTP_MAX_BYTES; nothing past the limit was read."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and would reach: mapped, 6to4, Teredo client or NAT64."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(address.packed[-4:])
    return None


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local (so not 169.254.169.254,
    the cloud metadata service), CGNAT, unique-local, site-local, multicast, reserved or unspecified; an IPv6 address
    that carries an IPv4 one (::ffff:127.0.0.1, 2002:7f00:1::, ...) is judged by that IPv4 address as well."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped:
            return True  # a mapped address reaches its IPv4 address, just judged public
        if address.is_site_local:
            return False
    # is_global leaves out private, loopback, link-local, CGNAT and unique-local ranges, but not these.
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def checked_addresses(host: str, port: int) -> list[tuple]:
    """Resolve a host once and return its getaddrinfo answers, refusing it if any address is not public (unless the
    host is named in HTTP_ALLOW_PRIVATE_HOSTS). Every spelling of an address (2130706433, 0x7f000001, 0177.0.0.1,
    127.1, ::ffff:127.0.0.1) comes out of getaddrinfo as the address it means, so each is judged by that."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    allowed_hosts = {name.lower().rstrip(".") for name in settings.HTTP_ALLOW_PRIVATE_HOSTS}
    if host.lower().rstrip(".") not in allowed_hosts:
        for *_, sockaddr in answers:
            address = ipaddress.ip_address(sockaddr[0])
            if not is_public_address(address):
                raise BlockedAddress(f"Refused: {host} resolves to a private address ({address}).")
    return answers


def _connect_to_checked(answers: list[tuple], timeout, socket_options) -> socket.socket:
    """Connect to the first of the checked addresses that answers, by address: no second look-up can rebind."""
    error = None
    for family, type_, proto, _, sockaddr in answers:
        sock = socket.socket(family, type_, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _GuardedConnectionMixin:
    """Replaces urllib3's connect (which resolves the host itself) with resolve, check, connect to what was checked.
    HTTPS still sends the host name for SNI and checks the certificate against it."""

    def _new_conn(self) -> socket.socket:
        try:
            answers = checked_addresses(self._dns_host, self.port)
            return _connect_to_checked(answers, self.timeout, self.socket_options)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out (timeout={self.timeout}).") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _CappedRetry(Retry):
    """Honours Retry-After, but never waits longer than HTTP_RETRY_AFTER_MAX seconds: a job must not hang for a day."""

    def get_retry_after(self, response):
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, settings.HTTP_RETRY_AFTER_MAX)

    def get_backoff_time(self) -> float:
        # urllib3 asks again at once after the first failure; a server that throttles or fails wants a pause first.
        return max(super().get_backoff_time(), self.backoff_factor if self.history else 0)


class _CappedBody:
    """A urllib3 response whose (decompressed) body raises ResponseTooLarge past a limit instead of being read on."""

    def __init__(self, raw, limit: int, url: str):
        self._raw, self._limit, self._url = raw, limit, url

    def stream(self, amt=CHUNK_BYTES, decode_content=None):
        read = 0
        for chunk in self._raw.stream(amt, decode_content=decode_content):
            read += len(chunk)
            if read > self._limit:
                self._raw.close()
                raise ResponseTooLarge(f"Refused: {self._url} sent more than {self._limit:,} bytes.")
            yield chunk

    def __getattr__(self, name):
        return getattr(self._raw, name)


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def build_response(self, req, resp):
        limit = settings.HTTP_MAX_BYTES
        # An odd or missing length counts as none: the body is then capped while it is read.
        length = count_or(resp.headers.get("Content-Length"))
        if req.method != "HEAD" and length > limit:
            resp.close()
            raise ResponseTooLarge(f"Refused: {req.url} is {length:,} bytes, more than {limit:,}.")
        response = super().build_response(req, resp)
        response.raw = _CappedBody(resp, limit, req.url)
        return response


class HostRateLimiter:
    """Spaces requests to each host at least 1/rate seconds apart, across the threads of this process."""

    def __init__(self, *, clock=time.monotonic, sleep=None):
        # Without a `sleep` of its own, time.sleep is looked up at each wait, so tests may record waits instead.
        self._clock, self._sleep = clock, sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, rate: float) -> None:
        if rate <= 0:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + 1 / rate
        if slot > now:
            (self._sleep or time.sleep)(slot - now)


_host_rate_limiter = HostRateLimiter()


class LeadflowSession(requests.Session):
    """A requests session that always has a timeout and waits its turn for each host (each redirect hop too)."""

    def __init__(self, rate_per_host: float | None = None):
        super().__init__()
        # An API's own documented rate limit (Hunter: 15 requests a second) may replace the crawling default.
        self.rate_per_host = settings.HTTP_RATE_PER_HOST if rate_per_host is None else rate_per_host
        # Proxies and .netrc from the environment would route around the address check.
        self.trust_env = False
        self.max_redirects = settings.HTTP_MAX_REDIRECTS
        self.headers["User-Agent"] = USER_AGENT
        retry = _CappedRetry(
            total=RETRIES,
            # A read timeout is reported at once: retrying it would multiply the wait.
            read=False,
            # Nor are TLS errors: a certificate that does not match will not match on a retry.
            other=0,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=BACKOFF_FACTOR,
            respect_retry_after_header=True,
        )
        adapter = _GuardedAdapter(max_retries=retry)
        # Only http and https: any other scheme finds no adapter and is refused by requests.
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = settings.HTTP_TIMEOUT
        _host_rate_limiter.wait(urlsplit(request.url).hostname or "", self.rate_per_host)
        return super().send(request, **kwargs)


def http_session(rate_per_host: float | None = None) -> LeadflowSession:
    """A new guarded session; use it as a context manager so its connections close. `rate_per_host`: requests a
    second to each host (default HTTP_RATE_PER_HOST)."""
    return LeadflowSession(rate_per_host)


class RobotsCache:
    """robots.txt rules per site, read through the guarded session and kept for ROBOTS_CACHE_SECONDS.
    A missing robots.txt (4xx) allows everything; one that cannot be read (5xx, refused, timed out) allows nothing,
    as the major crawlers do."""

    def __init__(self):
        self._rules: dict[str, tuple[float, Protego | None]] = {}
        self._lock = threading.Lock()

    def _fetch(self, robots_url: str) -> Protego | None:
        try:
            with http_session() as session:
                response = session.get(robots_url)
        except (requests.RequestException, BlockedAddress, ResponseTooLarge):
            return None
        if 400 <= response.status_code < 500:
            return Protego.parse("")
        if response.status_code >= 300:
            return None
        return Protego.parse(response.text)

    def allowed(self, url: str, user_agent: str = USER_AGENT) -> bool:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        with self._lock:
            expires, rules = self._rules.get(robots_url, (0.0, None))
        if expires <= time.monotonic():
            rules = self._fetch(robots_url)
            with self._lock:
                self._rules[robots_url] = (time.monotonic() + ROBOTS_CACHE_SECONDS, rules)
        return rules is not None and rules.can_fetch(url, user_agent)


_robots_cache = RobotsCache()


def allowed_by_robots(url: str, user_agent: str = USER_AGENT) -> bool:
    """Whether the site's robots.txt lets `user_agent` crawl `url` (read once a day per site)."""
    return _robots_cache.allowed(url, user_agent)
