"""The email finder's DNS: which hosts receive a domain's mail, and their addresses, all asked of one resolver whose
nameservers are a setting (ENRICHMENT_NAMESERVERS), so a private network or a test's stand-in answers every lookup."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
from django.conf import settings

from enrichment.answers import answer_cached, answer_record
from enrichment.models import ProviderAnswer

SOURCE = "finder"


class DnsLookupFailed(Exception):
    """A lookup got no usable answer (timeout, every nameserver failing): the finder calls the address "unknown"
    and asks again next time; nothing of it is cached."""


@dataclass(frozen=True)
class MailRoute:
    """Where a domain's mail goes. `how`: "mx" (its MX records), "implicit-mx" (no MX but an address: RFC 5321
    §5.1 delivers to the domain itself), "null-mx" (RFC 7505: it says it takes no mail), "no-domain" (NXDOMAIN),
    "no-mail" (neither MX nor address)."""

    domain: str
    hosts: list[str]
    how: str
    answer: ProviderAnswer | None = None

    @property
    def reason(self) -> str:
        return {
            "null-mx": f"{self.domain} takes no mail (null MX)",
            "no-domain": f"{self.domain} does not exist",
            "no-mail": f"{self.domain} receives no mail (no MX and no A record)",
        }.get(self.how, "")


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    """One "host:port" entry ("127.0.0.1:5353", "[::1]:53", "10.0.0.2"): the host must be an IP address."""
    entry = entry.strip()
    host, port = entry, 53
    if entry.startswith("["):  # [IPv6]:port
        host, _, rest = entry[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # a name here would need a resolver of its own: refuse it plainly
    return dns.nameserver.Do53Nameserver(host, port)


@functools.lru_cache(maxsize=8)
def _resolver_for(nameservers: tuple[str, ...], timeout: float) -> dns.resolver.Resolver:
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(entry) for entry in nameservers]
    else:
        resolver = dns.resolver.Resolver()  # the system's (/etc/resolv.conf)
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def resolver() -> dns.resolver.Resolver:
    """The finder's one resolver, as the settings configure it now (tests change them between cases)."""
    configured = settings.ENRICHMENT_NAMESERVERS
    if isinstance(configured, str):
        configured = configured.split(",")
    entries = tuple(entry.strip() for entry in configured if entry and entry.strip())
    try:
        return _resolver_for(entries, float(settings.ENRICHMENT_DNS_TIMEOUT))
    except (ValueError, dns.exception.DNSException) as error:
        raise DnsLookupFailed(f"the finder's nameservers are not usable ({error})") from None


def _records(name: str, rdtype: str) -> list | None:
    """The records of one type, [] when the name has none, None when the name does not exist."""
    try:
        return list(resolver().resolve(name, rdtype, search=False))
    except dns.resolver.NXDOMAIN:
        return None
    except dns.resolver.NoAnswer:
        return []
    except dns.exception.Timeout:
        raise DnsLookupFailed(f"DNS lookup of {name} ({rdtype}) timed out") from None
    except dns.resolver.NoNameservers:
        raise DnsLookupFailed(f"no nameserver answered for {name} ({rdtype})") from None
    except (dns.name.NameTooLong, dns.name.EmptyLabel, dns.name.LabelTooLong):
        return None  # no such name can exist
    except dns.exception.DNSException as error:
        raise DnsLookupFailed(f"DNS lookup of {name} ({rdtype}) failed: {error}") from None


def host_addresses(host: str) -> list[str]:
    """The IPv4 then IPv6 addresses of a host, through the finder's resolver (never the system's getaddrinfo, so the
    mail server's address comes from the same nameservers as its MX record); kept like the MX record, so the leads
    of one company ask for their mail server's address once. Every use still checks the address it connects to."""
    host = host.strip().lower().rstrip(".")
    cached = answer_cached(SOURCE, "address", host)
    if cached is not None:
        return list(cached.body.get("addresses", []))
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        addresses += [record.address for record in _records(host, rdtype) or []]
    # A host with no address is asked again next time (it may be on its way); one that has some is kept.
    answer_record(SOURCE, "address", host, {"host": host, "addresses": addresses}, cached=bool(addresses))
    return addresses


def _route_lookup(domain: str) -> tuple[str, list[tuple[int, str]]]:
    mx = _records(domain, "MX")
    if mx is None:
        return "no-domain", []
    preferences = sorted(
        (record.preference, "" if record.exchange == dns.name.root else record.exchange.to_text(True).lower())
        for record in mx
    )
    real = [(preference, host) for preference, host in preferences if host]  # "" stands for the null MX "."
    if real:
        return "mx", real
    if preferences:
        return "null-mx", []
    if host_addresses(domain):
        return "implicit-mx", [(0, domain)]
    return "no-mail", []


def mail_route(domain: str) -> MailRoute:
    """Where a domain's mail goes, from the cache when asked within its expiry; raises DnsLookupFailed."""
    domain = domain.strip().lower().rstrip(".")
    cached = answer_cached(SOURCE, "mx", domain)
    if cached is not None:
        return MailRoute(domain, list(cached.body.get("hosts", [])), cached.body.get("how", "mx"), cached)
    how, preferences = _route_lookup(domain)
    hosts = list(dict.fromkeys(host for _, host in preferences))
    body = {"domain": domain, "how": how, "hosts": hosts, "mx": [list(pair) for pair in preferences]}
    return MailRoute(domain, hosts, how, answer_record(SOURCE, "mx", domain, body))


def mail_hosts(domain: str) -> list[str]:
    """The hosts that receive a domain's mail, most preferred first; [] when it takes none."""
    return mail_route(domain).hosts
