from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadflow.backups.errors import BackupError
from leadflow.backups.services import backup_create, backup_scheduled, backups_prune


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files into a new timestamped folder under DIR. Without DIR: the daily "
        "job (into BACKUP_DIR, keeping the newest BACKUP_KEEP)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", nargs="?", type=Path, help="Folder to write the backup into.")
        parser.add_argument("--keep", type=int, help="Then delete all but the newest KEEP backups in DIR.")

    def handle(self, *args, dir: Path | None, keep: int | None, **options) -> None:
        try:
            if dir is None:
                if keep is not None:
                    raise CommandError(f"--keep needs DIR; the daily job keeps BACKUP_KEEP ({settings.BACKUP_KEEP}).")
                self.stdout.write(backup_scheduled(channel="command"))
                return
            folder = backup_create(into=dir)
            self.stdout.write(f"Backed up to {folder}")
            if keep is not None:
                removed = backups_prune(directory=dir, keep=keep)
                self.stdout.write(
                    f"Deleted {len(removed)} older backups{': ' if removed else '.'}"
                    + ", ".join(path.name for path in removed)
                )
        except BackupError as error:
            raise CommandError(str(error)) from error
