"""Who a privacy request is about: every lead holding the email (main or other) or the phone, and every address and
number those leads hold, since all of them are the person's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from crm.models import Lead
from crm.privacy.suppression import Identity, email_key, phone_key


@dataclass
class Person:
    identity: Identity
    lead_ids: list[int] = field(default_factory=list)
    # Their names as the leads hold them, for the few stores that are searched by text (caches, payloads).
    names: list[str] = field(default_factory=list)

    @property
    def emails(self) -> list[str]:
        return self.identity.emails

    @property
    def phones(self) -> list[str]:
        return self.identity.phones


def _holds(values: list, wanted: set[str], normalise) -> bool:
    return any(normalise(str(value)) in wanted for value in values)


def person_find(*, email: str = "", phone: str = "", lead_ids: Iterable[int] = ()) -> Person:
    """The person named by this email and/or phone (and these leads, for the retention job, which names leads),
    with all their leads; no leads when nobody holds them."""
    emails = {email_key(email)} - {""}
    phones = {phone_key(phone)} - {""}
    lead_ids = set(lead_ids)
    query = Q(pk__in=lead_ids)
    for address in emails:
        # icontains finds "ann@x.com" inside "joann@x.com" too: the leads are checked one by one below.
        query |= Q(email__iexact=address) | Q(other_emails__icontains=address)
    for number in phones:
        query |= Q(phone=number) | Q(other_phones__icontains=number)
    fields = ("pk", "first_name", "last_name", "email", "phone", "other_emails", "other_phones")
    leads = [
        row
        for row in Lead.objects.filter(query).values(*fields).order_by("pk")
        if row["pk"] in lead_ids
        or email_key(row["email"]) in emails
        or _holds(row["other_emails"], emails, email_key)
        or phone_key(row["phone"]) in phones
        or _holds(row["other_phones"], phones, phone_key)
    ]
    for row in leads:
        emails |= {email_key(row["email"]), *(email_key(str(value)) for value in row["other_emails"])}
        phones |= {phone_key(row["phone"]), *(phone_key(str(value)) for value in row["other_phones"])}
    names = {f"{row['first_name']} {row['last_name']}".strip() for row in leads}
    return Person(
        identity=Identity(sorted(emails - {""}), sorted(phones - {""})),
        lead_ids=[row["pk"] for row in leads],
        names=sorted(names - {""}),
    )
