"""Signals scraping sends for apps it does not import (DESIGN.md: dependencies point one way, and outreach already
uses scraping)."""

from django.dispatch import Signal

# Sent once ad-form deliveries are saved as leads and their owners told, with source= (the Source) and deliveries=
# (list[AdDelivery], each with its lead_id and the form's fields): outreach acknowledges each lead when the source
# asks for it, and opens its conversation with the form's answers.
ad_leads_saved = Signal()
