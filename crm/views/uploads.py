"""An uploaded file as a path on disk, which the streaming readers need, whether Django kept it in memory or not."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from crm.importing.storing import DISK_FULL, disk_full_refused


@contextmanager
def uploaded_path(upload) -> Iterator[Path]:
    """The upload's path for the duration of the block; one over IMPORT_MAX_BYTES is refused with its size."""
    if getattr(upload, "disk_full", False):  # met while the request was read (DiskFullUploadHandler)
        raise ValidationError(DISK_FULL)
    limit = settings.IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(f"This file is {upload.size // 2**20} MB; the limit is {limit // 2**20} MB.")
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    # The copy is removed however the block ends, a disk that filled up part-way included.
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix) as copy:
        with disk_full_refused():
            for chunk in upload.chunks():
                copy.write(chunk)
            copy.flush()
        yield Path(copy.name)
