"""Privacy requests about one person: export everything held on them, erase it (keeping only a keyed hash so they
never come back), and erase contacts never engaged after the retention period. crm finds the person and owns the
job; the other apps hand their part of the person's data through the signals in crm.privacy.signals."""
