"""Bringing new people in: scraping campaigns and ad lead forms (its own issue)."""
