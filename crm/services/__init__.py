"""Functions that change CRM state; each writes the lead's timeline as it goes."""
