"""A backup folder on disk: its name, its manifest, and the checksums that prove nothing in it changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path, PurePosixPath

from leadflow.backups.errors import BackupError

MANIFEST = "manifest.json"
MEDIA = "media"
# Names sort in time order, to the microsecond so that two backups in one second do not collide.
FOLDER_FORMAT = "leadflow-%Y%m%dT%H%M%S.%fZ"
FOLDER_PATTERN = re.compile(r"leadflow-\d{8}T\d{6}\.\d{6}Z")
# A backup is written under this prefix and renamed when complete.
PARTIAL_PREFIX = ".leadflow-partial-"
CHUNK = 1024 * 1024


def folder_name(at: datetime) -> str:
    return at.strftime(FOLDER_FORMAT)


def backup_folders(directory: Path) -> list[Path]:
    """The complete backups in `directory`, oldest first; anything else there (a half-written one included) is
    not ours to count or delete."""
    if not directory.is_dir():
        return []
    return sorted(
        path for path in directory.iterdir() if FOLDER_PATTERN.fullmatch(path.name) and (path / MANIFEST).is_file()
    )


def partial_folders(directory: Path, *, older_than: float) -> list[Path]:
    """Backups left half-written (their process was killed), untouched for `older_than` seconds."""
    if not directory.is_dir():
        return []
    cutoff = time.time() - older_than
    return sorted(
        path
        for path in directory.iterdir()
        if path.name.startswith(PARTIAL_PREFIX) and path.is_dir() and path.stat().st_mtime < cutoff
    )


def backup_folder_find(path: Path) -> Path:
    """`path` itself when it is a backup, else the newest backup inside it."""
    if (path / MANIFEST).is_file():
        return path
    folders = backup_folders(path)
    if not folders:
        raise BackupError(f"No backup found at {path}.")
    return folders[-1]


def media_copy(*, source: Path, folder: Path) -> list[dict]:
    """Copy every file under `source` (MEDIA_ROOT) into the backup folder's media/, hashing as it goes; returns
    their manifest entries."""
    entries = []
    for directory, _, names in os.walk(source):
        for name in sorted(names):
            relative = PurePosixPath(MEDIA, Path(directory, name).relative_to(source).as_posix())
            destination = folder.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            size, digest = _copy_hashed(Path(directory, name), destination)
            entries.append({"path": relative.as_posix(), "size": size, "sha256": digest})
    return entries


def media_restore(*, folder: Path, manifest: dict, media_root: Path) -> int:
    """Copy the backup's media files into MEDIA_ROOT (files already there under the same name are replaced)."""
    count = 0
    for entry in manifest["files"]:
        path = PurePosixPath(entry["path"])
        if path.parts[0] != MEDIA:
            continue
        destination = media_root.joinpath(*path.parts[1:])
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder.joinpath(*path.parts), destination)
        count += 1
    return count


def file_entry(folder: Path, path: Path) -> dict:
    size, digest = _hash(path)
    return {"path": path.relative_to(folder).as_posix(), "size": size, "sha256": digest}


def manifest_write(folder: Path, manifest: dict) -> None:
    with (folder / MANIFEST).open("w", encoding="utf-8") as file:
        json.dump(manifest, file, indent=2)
        file.flush()
        os.fsync(file.fileno())


def manifest_verified(folder: Path) -> dict:
    """The folder's manifest, once every file it lists is there with its size and checksum and nothing else is."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{folder} has no readable {MANIFEST}: {error}") from error
    problems = []
    for relative, entry in listed.items():
        path = PurePosixPath(relative)
        if path.is_absolute() or ".." in path.parts:
            problems.append(f"{relative}: not a path inside the backup")
            continue
        try:
            size, digest = _hash(folder.joinpath(*path.parts))
        except OSError:
            problems.append(f"{relative}: missing")
            continue
        if (size, digest) != (entry["size"], entry["sha256"]):
            problems.append(f"{relative}: checksum does not match")
    on_disk = {
        Path(directory, name).relative_to(folder).as_posix()
        for directory, _, names in os.walk(folder)
        for name in names
    }
    problems += [f"{extra}: not in the manifest" for extra in sorted(on_disk - listed.keys() - {MANIFEST})]
    if problems:
        raise BackupError(
            f"The backup {folder} is damaged or was changed; nothing was restored:\n  " + "\n  ".join(problems)
        )
    return manifest


def _hash(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy_hashed(source: Path, target: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
