"""Keeping an uploaded file, whole or not at all: a disk that fills up part-way leaves no half-written file behind,
and the person who uploaded it is told why in words."""

from __future__ import annotations

import errno
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile

DISK_FULL = (
    "The server's disk is full, so the file could not be stored and nothing was imported. "
    "Ask an administrator to free some space, then upload the file again."
)
# A full disk, or a full quota for the server's user: the same to the person uploading.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


@contextmanager
def disk_full_refused() -> Iterator[None]:
    """A full disk met inside the block as a ValidationError saying so; any other OSError passes unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise ValidationError(DISK_FULL) from exc
        raise


def file_keep(field_file: FieldFile, source: Path, original_name: str) -> None:
    """Store `source` as the field's file (not saving the model), or nothing: what a failed write left is removed.

    The stored name carries a random part, so the name the storage writes is known before it writes, and what is
    removed after a failure can only be this upload's own partial file, never another upload's.
    """
    original = Path(Path(original_name).name or "import.csv")
    name = field_file.field.generate_filename(
        field_file.instance, f"{original.stem[:80]}-{secrets.token_hex(4)}{original.suffix[:10]}"
    )
    storage = field_file.storage
    with disk_full_refused():
        try:
            with source.open("rb") as handle:
                stored = storage.save(name, File(handle))
        except OSError:
            with suppress(OSError):  # removing frees space; if even that fails, the original error says more
                storage.delete(name)
            raise
    field_file.name = stored
