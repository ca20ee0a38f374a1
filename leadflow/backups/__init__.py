"""Backups: the database and the uploaded files in one timestamped folder with a checksummed manifest, and the
restore that checks it (see README, "Backups")."""
