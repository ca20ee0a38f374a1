"""The demo's lawful bases: a mix by where each lead came from, recorded through crm.services.consent (so each has
its source, time and timeline line) and dated when the lead came in."""

from __future__ import annotations

import random
from collections import defaultdict

from django.db.models import OuterRef, Subquery

from crm.models import Activity, Lead
from crm.services.consent import leads_lawful_basis_set

Basis = Lead.LawfulBasis
# The basis a demo lead of each source gets, and where it came from: forms asked for consent, bought lists and
# finds on LinkedIn or Maps rest on legitimate interest, referred customers on a contract.
BASIS_BY_SOURCE: dict[str, tuple[str, str]] = {
    "meta_ads": (Basis.CONSENT, "Meta lead form"),
    "website": (Basis.CONSENT, "Web form"),
    "csv_import": (Basis.LEGITIMATE_INTEREST, "Import file"),
    "linkedin": (Basis.LEGITIMATE_INTEREST, "Manual"),
    "google_maps": (Basis.LEGITIMATE_INTEREST, "Manual"),
    "manual": (Basis.LEGITIMATE_INTEREST, "Manual"),
    "referral": (Basis.CONTRACT, "Manual"),
}
# This share of leads has no basis recorded yet, as in any real CRM: the table's "Unknown" filter finds them.
UNKNOWN_SHARE = 0.25


def demo_lawful_bases_seed(lead_ids: list[int], *, seed: str) -> str:
    """Give the demo's leads their bases, a few queries per basis; a line saying how many of each."""
    # Its own generator, so the rest of the demo stays as it was.
    rng = random.Random(f"{seed}-lawful-basis")  # noqa: S311 (a demo, not a secret)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, source in Lead.objects.filter(pk__in=lead_ids).order_by("pk").values_list("pk", "source"):
        if source in BASIS_BY_SOURCE and rng.random() >= UNKNOWN_SHARE:
            groups[BASIS_BY_SOURCE[source]].append(pk)
    counts: dict[str, int] = defaultdict(int)
    for (basis, source), ids in groups.items():
        counts[basis] += len(leads_lawful_basis_set(lead_ids=ids, basis=basis, source=source, actor=None))
    # Recorded when each lead came in, not now (seed_demo then dates when each lead was last touched).
    given = [pk for ids in groups.values() for pk in ids]
    created = Lead.objects.filter(pk=OuterRef("lead_id")).values("created_at")[:1]
    Activity.objects.filter(lead_id__in=given, kind=Activity.Kind.LAWFUL_BASIS).update(created_at=Subquery(created))
    Lead.objects.filter(pk__in=given).update(lawful_basis_at=Subquery(
        Lead.objects.filter(pk=OuterRef("pk")).values("created_at")[:1]))  # fmt: skip
    mix = ", ".join(f"{count} {Basis(basis).label.lower()}" for basis, count in counts.items())
    return f"  lawful bases: {mix}, {len(lead_ids) - len(given)} unknown (filter the leads table by Lawful basis)"
