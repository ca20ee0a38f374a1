"""Finding what a lead is missing: waterfall of sources, verification, AI analysis (its own issue)."""
