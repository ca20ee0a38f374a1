"""Where an import's rows are normalised: a small file, or a capture feed that never hands over a full batch, in the
importing process; a large one by a forked child a batch ahead (forking cost more than the few rows of an ad-form
burst). Forks are counted with the interpreter's own at-fork hook."""

import csv
import os
from pathlib import Path

import pytest

from crm.importing import jobs
from crm.importing.drafting import SMALL_CSV_BYTES, draft_batches

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Company"]
_forks = {"count": 0}
os.register_at_fork(before=lambda: _forks.__setitem__("count", _forks["count"] + 1))


def _file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / f"people-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([f"Person{n}", f"Surname{n}", f"person{n}@firm{n % 97}.example", f"Firm {n % 97}"]
                         for n in range(rows))  # fmt: skip
    return path


def _drafted(tmp_path: Path, manager, rows: int) -> tuple[list[int], int]:
    """The batch sizes drafting gives for a file of `rows` rows, and the forks it made."""
    path = _file(tmp_path, rows)
    job = jobs.import_job_create(actor=manager, path=path, original_name=path.name)
    before = _forks["count"]
    sizes = [
        len(batch)
        for batch, _ in draft_batches(
            path, jobs._info(job), after_line=0, mapping=job.mapping, region="GB", size=jobs.BATCH_SIZE
        )
    ]
    return sizes, _forks["count"] - before


def test_a_small_file_is_drafted_without_a_child(tmp_path, manager_mia):
    sizes, forks = _drafted(tmp_path, manager_mia, 2500)
    assert _file(tmp_path, 2500).stat().st_size <= SMALL_CSV_BYTES
    assert sizes == [2000, 500] and forks == 0


def test_a_large_file_is_drafted_by_one_child(tmp_path, manager_mia):
    sizes, forks = _drafted(tmp_path, manager_mia, 9000)
    assert _file(tmp_path, 9000).stat().st_size > SMALL_CSV_BYTES
    assert sizes == [2000, 2000, 2000, 2000, 1000] and forks == 1


def test_a_feed_is_drafted_here_until_it_hands_over_a_full_batch(tmp_path, manager_mia):
    path = _file(tmp_path, 1)  # the header a capture writes first; the feed hands over the rows
    job = jobs.import_job_create(actor=manager_mia, path=path, original_name=path.name)
    records = [(line, [f"P{line}", "Q", f"p{line}@feed.example", "Feed Ltd"], line) for line in range(2, 9)]

    def feed_of(hands: list[int]):
        pending = list(records)

        def feed(count: int) -> list:
            taken = min(count, hands.pop(0) if hands else count, len(pending))
            given, pending[:] = pending[:taken], pending[taken:]
            return given

        return feed

    def drafted(hands: list[int], size: int) -> tuple[list[int], int]:
        before = _forks["count"]
        batches = draft_batches(path, jobs._info(job), after_line=0, mapping=job.mapping, region="GB", size=size,
                                feed=feed_of(hands))  # fmt: skip
        return [len(batch) for batch, _ in batches], _forks["count"] - before

    # An ad-form burst: fewer rows than a batch, in hands of any size: no child.
    assert drafted([3, 2, 2], size=10) == ([3, 2, 2], 0)
    # A full hand means a large source: the child drafts the rest.
    assert drafted([], size=3) == ([3, 3, 1], 1)
