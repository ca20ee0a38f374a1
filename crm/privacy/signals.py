"""How the apps that crm may not import (outreach, enrichment, scraping) take part in a privacy request.

Receivers get `person` (crm.privacy.person.Person). A `person_exporting` receiver returns a list of
crm.privacy.parts.ExportPart; a `person_erasing` receiver deletes what it holds on the person and returns
{"what": how many}. Both are called inside the request's transaction."""

from django.dispatch import Signal

person_exporting = Signal()
person_erasing = Signal()
