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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
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


class DiskFullUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for uploads received into a temporary file, which meets a full disk with words rather than a
    server error (the request is read before any view, by the CSRF check): what it wrote is removed, the rest of the
    file is read and dropped, and the field holds an empty file marked `disk_full`, which uploaded_path refuses with
    DISK_FULL."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.disk_full = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if not self.disk_full:
            self._unless_full(super().receive_data_chunk, raw_data, start)

    def file_complete(self, file_size: int):
        if not self.disk_full:
            self._unless_full(self.file.flush)  # the file's buffer may meet the full disk only now
        if not self.disk_full:
            return super().file_complete(file_size)
        received = SimpleUploadedFile(self.file_name, b"", self.content_type)
        received.size, received.disk_full = file_size, True
        return received

    def _unless_full(self, write, *args) -> None:
        try:
            write(*args)
        except OSError as exc:
            if exc.errno not in _NO_SPACE:
                raise
            self.disk_full = True
            self.upload_interrupted()  # closes and removes the part written
