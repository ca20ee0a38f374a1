"""Numbers and charts, read-only over every other app (its own issue)."""
