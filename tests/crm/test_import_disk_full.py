"""A disk that fills up while an upload is being stored: the person is told so in words, and nothing is left
behind, neither a job nor part of the file.

The full disk is the kernel's own: the storage below writes the start of the file to the real disk, as a disk with
a little room left would take it, and the rest to /dev/full, where every write fails with ENOSPC. No code of ours
is replaced; a tiny tmpfs would need mount rights these machines do not give."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.importing.storing import DISK_FULL, DiskFullUploadHandler
from crm.models import ImportJob

pytestmark = pytest.mark.django_db

ROOM_LEFT = 64 * 1024  # what the disk still takes of the file before it is full


class DiskFillingStorage(FileSystemStorage):
    """The media storage on a disk with ROOM_LEFT bytes free."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.read()
        with path.open("xb") as stored, open("/dev/full", "wb", buffering=0) as full_disk:
            stored.write(data[:ROOM_LEFT])
            stored.flush()
            full_disk.write(data[ROOM_LEFT:])  # raises the kernel's OSError(ENOSPC)
        raise AssertionError("/dev/full took the write")


@pytest.fixture
def disk_filling(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    storages = {**settings.STORAGES}
    storages["default"] = {
        "BACKEND": f"{__name__}.DiskFillingStorage",
        "OPTIONS": {"location": settings.MEDIA_ROOT},
    }
    settings.STORAGES = storages
    return Path(settings.MEDIA_ROOT)


def _csv(rows: int) -> bytes:
    lines = ["First Name,Last Name,Email"]
    lines += [f"Ada{n},Lovelace,ada{n}@engines.example" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _files_under(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def test_dev_full_really_is_a_full_disk():
    with open("/dev/full", "wb", buffering=0) as full_disk, pytest.raises(OSError) as raised:
        full_disk.write(b"x")
    assert raised.value.errno == errno.ENOSPC


def _upload_is_refused_as_disk_full(client, person, folder: Path) -> None:
    """A file twice as big as the room left, uploaded on the imports page: the form says the disk is full, no job
    is made, and nothing is left in `folder`."""
    content = _csv(5000)
    assert len(content) > 2 * ROOM_LEFT
    client.force_login(person)

    response = client.post(reverse("crm:imports"), {"file": SimpleUploadedFile("people.csv", content, "text/csv")})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [DISK_FULL]
    assert not ImportJob.objects.exists()
    assert _files_under(folder) == []


def test_a_disk_filling_up_during_an_upload_says_so_and_leaves_nothing_half_written(client, manager_mia, disk_filling):
    _upload_is_refused_as_disk_full(client, manager_mia, disk_filling)


def test_the_api_refuses_an_upload_the_disk_has_no_room_for(api_as, manager_mia, disk_filling):
    upload = SimpleUploadedFile("people.csv", _csv(5000), "text/csv")

    response = api_as(manager_mia).post("/api/v1/imports/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert DISK_FULL in response.content.decode()
    assert not ImportJob.objects.exists()
    assert _files_under(disk_filling) == []


def test_an_upload_that_fits_is_stored_whole(client, manager_mia, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    content = _csv(5000)
    client.force_login(manager_mia)

    client.post(reverse("crm:imports"), {"file": SimpleUploadedFile("people.csv", content, "text/csv")})

    job = ImportJob.objects.get()
    assert Path(job.file.path).read_bytes() == content
    assert job.original_name == "people.csv"
    assert _files_under(Path(settings.MEDIA_ROOT)) == [Path(job.file.path)]


class _FillingTemporaryFile:
    """A temporary upload file on a disk with ROOM_LEFT bytes free: past them, writes go to the kernel's /dev/full."""

    def __init__(self, real) -> None:
        self.real, self.written = real, 0

    def write(self, data: bytes) -> int:
        room = max(ROOM_LEFT - self.written, 0)
        self.written += self.real.write(data[:room])
        if len(data) > room:
            with open("/dev/full", "wb", buffering=0) as full_disk:
                full_disk.write(data[room:])  # raises the kernel's OSError(ENOSPC)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


class TempDiskFillingHandler(DiskFullUploadHandler):
    """The project's upload handler, its temporary files on a nearly full disk (Django's new_file makes them)."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file.file = _FillingTemporaryFile(self.file.file)


def test_a_disk_filling_up_while_the_request_is_read_says_so_and_leaves_no_temporary_file(
    client, manager_mia, settings, tmp_path
):
    """A file too big to hold in memory is received into a temporary file before any view runs; a full disk there
    is the same clear message, not a server error, and the part received is removed."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_HANDLERS = [
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        f"{__name__}.TempDiskFillingHandler",
    ]
    _upload_is_refused_as_disk_full(client, manager_mia, tmp_path)
