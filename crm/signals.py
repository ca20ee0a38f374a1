"""Signals crm sends for apps it does not import (DESIGN.md: dependencies point one way)."""

from django.dispatch import Signal

# Sent by `manage.py seed_demo` inside its transaction, once the demo's leads exist, with manager= (the demo
# manager, a User) and rng= (the demo's random.Random): apps add their part of the demo and return lines to print.
demo_seeding = Signal()
