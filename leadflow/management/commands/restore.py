from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadflow.backups.errors import BackupError
from leadflow.backups.services import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup (a folder made by `backup`, or the newest one in a folder of backups) into the configured, "
        "empty database and MEDIA_ROOT, after checking every file's checksum."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="A backup folder, or a folder holding backups.")

    def handle(self, *args, source: Path, **options) -> None:
        try:
            folder, manifest, copied = backup_restore(source=source)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {folder.name} (made {manifest['created_at']}, Leadflow {manifest['app']['version']}): "
            f"the {manifest['database']['vendor']} database and {copied} uploaded files."
        )
        self.stdout.write("If this code is newer than the backup, run `manage.py migrate` next.")
