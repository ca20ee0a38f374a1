"""Talking to leads: sequences, messages, tracking, inbox (its own issue)."""
