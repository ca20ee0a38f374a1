"""Without a connection: leads as a CSV in each CRM's own import format, to upload with that CRM's importer. This is
the one place each CRM's import layout is written down.

Columns follow each CRM's documented import template (their headers are what the importer maps automatically);
values Leadflow has and the CRM has no standard field for (the score, LinkedIn where there is none) go in columns
the importer offers to map to a custom field. Every cell, headers included, is neutralised against spreadsheet
formulas, and leads are read a chunk at a time as the lead export does (crm.exporting)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from crm.exporting import CHUNK_SIZE, CSV_BOM, Echo
from crm.models import Lead
from crm.resources import formula_neutralise
from crm.sync.salesforce import NOT_PROVIDED


def _company(lead: Lead) -> str:
    return lead.company.name if lead.company_id else ""


def _owner(lead: Lead) -> str:
    return lead.owner.email if lead.owner_id else ""


def _score(lead: Lead) -> str:
    return "" if lead.score is None else str(lead.score)


def _tags(lead: Lead) -> str:
    return ", ".join(tag.name for tag in lead.tags.all())


Column = tuple[str, Callable[[Lead], str]]


@dataclass(frozen=True)
class ImportFormat:
    label: str
    columns: tuple[Column, ...]


FORMATS: dict[str, ImportFormat] = {
    # HubSpot: Contacts import; headers are the contact properties' labels, which the importer maps by itself
    # (Contact owner by the owner's email).
    "hubspot": ImportFormat(
        "HubSpot contacts",
        (
            ("First Name", lambda lead: lead.first_name),
            ("Last Name", lambda lead: lead.last_name),
            ("Email", lambda lead: lead.email),
            ("Phone Number", lambda lead: lead.phone),
            ("Job Title", lambda lead: lead.title),
            ("Company Name", _company),
            ("Website URL", lambda lead: lead.website),
            ("LinkedIn URL", lambda lead: lead.linkedin_url),
            ("Contact owner", _owner),
            ("Leadflow stage", lambda lead: lead.stage.name),
            ("Leadflow score", _score),
            ("Leadflow source", lambda lead: lead.source),
        ),
    ),
    # Salesforce: Data Import Wizard, Leads; Last Name and Company are required there, Rating takes Hot/Warm/Cold.
    "salesforce": ImportFormat(
        "Salesforce leads (Data Import Wizard)",
        (
            ("First Name", lambda lead: lead.first_name),
            ("Last Name", lambda lead: lead.last_name or lead.email),
            ("Title", lambda lead: lead.title),
            ("Company", lambda lead: _company(lead) or NOT_PROVIDED),
            ("Email", lambda lead: lead.email),
            ("Phone", lambda lead: lead.phone),
            ("Website", lambda lead: lead.website),
            ("Lead Source", lambda lead: lead.source),
            ("Lead Status", lambda lead: lead.stage.name),
            ("Rating", lambda lead: lead.get_grade_display() if lead.grade else ""),
            ("Lead Owner", _owner),
            ("LinkedIn", lambda lead: lead.linkedin_url),
            ("Leadflow Score", _score),
        ),
    ),
    # Pipedrive: Import data > People; "Person - " and "Organization - " headers map to those objects' fields.
    "pipedrive": ImportFormat(
        "Pipedrive people",
        (
            ("Person - Name", lambda lead: lead.full_name),
            ("Person - First name", lambda lead: lead.first_name),
            ("Person - Last name", lambda lead: lead.last_name),
            ("Person - Email", lambda lead: lead.email),
            ("Person - Phone", lambda lead: lead.phone),
            ("Person - Job title", lambda lead: lead.title),
            ("Organization - Name", _company),
            ("Organization - Website", lambda lead: lead.website),
            ("Person - Owner", _owner),
            ("Person - LinkedIn", lambda lead: lead.linkedin_url),
            ("Person - Leadflow stage", lambda lead: lead.stage.name),
            ("Person - Leadflow score", _score),
            ("Person - Leadflow source", lambda lead: lead.source),
        ),
    ),
    # GoHighLevel: Contacts > Import, headers of its documented sample file ("CSV File Format for Importing Contacts
    # and Opportunities", help article 155000005143) and its standard Website and Source fields; tags are
    # comma-separated in one cell.
    "gohighlevel": ImportFormat(
        "GoHighLevel contacts",
        (
            ("First Name", lambda lead: lead.first_name),
            ("Last Name", lambda lead: lead.last_name),
            ("Email", lambda lead: lead.email),
            ("Phone", lambda lead: lead.phone),
            ("Company", _company),
            ("Website", lambda lead: lead.website),
            ("Source", lambda lead: lead.source),
            ("Tags", _tags),
            ("LinkedIn", lambda lead: lead.linkedin_url),
            ("Leadflow Stage", lambda lead: lead.stage.name),
            ("Leadflow Score", _score),
        ),
    ),
}


def crm_csv_lines(leads: QuerySet[Lead], crm: str) -> Iterator[str]:
    """The leads as CSV text in `crm`'s import format, a line at a time, starting with the header."""
    spec = FORMATS[crm]
    writer = csv.writer(Echo())
    yield CSV_BOM + writer.writerow([formula_neutralise(header) for header, _ in spec.columns])
    rows = leads.select_related("company", "owner", "stage").prefetch_related("tags")
    for lead in rows.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([formula_neutralise(value(lead) or "") for _, value in spec.columns])


def crm_csv_file_name(crm: str) -> str:
    return f"leads-{crm}-import-{timezone.localdate().isoformat()}.csv"
