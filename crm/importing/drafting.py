"""A file's rows read and normalised into lead drafts in a second process, a batch ahead of the writer.

Normalising is most of an import's Python work and needs no database, so it runs beside the process that
matches and writes, on another core (measured: 100,000 rows on SQLite took 33 s in one process, 21 s in two).
The child is forked, so it starts in milliseconds with everything imported. It must never keep a database
session alive: a child that outlived a killed worker once held its PostgreSQL connection "idle in transaction",
and the job's row lock with it, so the resumed import waited forever. So the connections are closed before the
fork where no transaction needs them; the child closes its copy of any socket it still inherited (without a word
to the server, which belongs to the parent); and the kernel kills the child when its parent dies. Under the job
cluster this needs workers that may have children (Q_CLUSTER["daemonize_workers"]).
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

from crm.importing.drafts import LeadDraft
from crm.importing.reading import Row, TableInfo, table_row, table_rows
from crm.importing.rows import draft_from_row

# A record handed to the child: its first line in the file, its cells as written, the progress once it is read.
Record = tuple[int, list[str], int]

# Batches normalised ahead of the one being written: enough that the writer never waits, few enough that
# memory stays flat whatever the file size.
AHEAD = 2
# The collector's first threshold while an import runs: new objects allocated between two young collections.
# Python's 700 made both processes spend a third to a half of their time collecting (measured on 50,000 rows:
# 4 to 6 s of the child's 9 s, and 2.3 s of the writer's 8.6 s), mostly in full collections walking every object
# Django and the caches hold, to find almost no cycles: drafts and rows are plain data.
IMPORT_GC_THRESHOLD = (50_000, 20, 20)


@contextmanager
def collector_relaxed() -> Iterator[None]:
    """While an import runs: the objects alive now are left out of collections (gc.freeze, also what keeps a
    forked child from copying the pages they sit on), and collections come rarer; both as before afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*IMPORT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def draft_batches(
    path: Path,
    info: TableInfo,
    *,
    after_line: int,
    mapping: list[str],
    region: str,
    size: int,
    feed: Callable[[int], list[Record]] | None = None,
) -> Iterator[tuple[list[LeadDraft], int]]:
    """The rows after `after_line` as drafts, `size` at a time, each batch with the progress after it.

    `feed`, for a file still being written (a capture writing what it fetches), gives the next `size` records or
    fewer (none at the end), each already in the file, as (line, cells, progress): this process cleans them as
    the file's reader would (table_row) and the child drafts the rows it is handed instead of reading them back.
    The child is the slower of the two, so the cleaning is done here, while it drafts the batch before.

    A small file, and a feed until it hands over a full batch, are drafted here: for the few rows of an ad-form
    burst, forking a child (and opening the database connections closed for it again) cost more than the rows."""
    drafting = _Drafting(path, info, after_line, mapping, region, size, feed)
    if feed is None:
        if not _small(info):
            yield from _drafted_by_child(drafting)
            return
        rows = table_rows(path, info, after_line=after_line)
        while (batch := _drafts(itertools.islice(rows, size), info.headers, mapping, region))[0]:
            yield batch
        return
    while records := feed(size):
        batch = _drafts(_cleaned(records, info), info.headers, mapping, region)
        if batch[0]:
            yield batch
        if len(records) == size:  # a large source: the child drafts the rest, a batch ahead of the writer
            yield from _drafted_by_child(drafting)
            return


# Files up to this size are drafted in the importing process (bytes of a CSV; rows of a sheet, whose size counts
# rows): about a batch of rows, which a child would draft no sooner than its fork and connections cost.
SMALL_CSV_BYTES = 256 * 1024
SMALL_SHEET_ROWS = 2000


@dataclass(frozen=True)
class _Drafting:
    """draft_batches' arguments."""

    path: Path
    info: TableInfo
    after_line: int
    mapping: list[str]
    region: str
    size: int
    feed: Callable[[int], list[Record]] | None


def _small(info: TableInfo) -> bool:
    return info.size <= (SMALL_CSV_BYTES if info.format == "csv" else SMALL_SHEET_ROWS)


def _cleaned(records: list[Record], info: TableInfo) -> list[Row]:
    """A feed's records as the file's reader would give them (blank rows left out)."""
    rows = (table_row(line, cells, position, len(info.headers)) for line, cells, position in records)
    return [row for row in rows if row is not None]


def _drafted_by_child(drafting: _Drafting) -> Iterator[tuple[list[LeadDraft], int]]:
    """draft_batches' rows normalised by a forked child, AHEAD batches ahead of the writer."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()  # opened again by the next query, after the fork
    feed, size = drafting.feed, drafting.size
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_open,
        initargs=(os.getpid(), drafting.path, drafting.info, drafting.after_line, drafting.mapping, drafting.region),
    )

    def ask() -> tuple[Future[tuple[list[LeadDraft], int]], bool]:
        """The next batch asked of the child, and whether there may be more after it."""
        if feed is None:
            return pool.submit(_child_next, size), True
        records = feed(size)
        return pool.submit(_child_draft, _cleaned(records, drafting.info)), bool(records)

    try:
        ahead = deque(ask() for _ in range(AHEAD))
        while ahead:
            asked, more = ahead.popleft()
            batch = asked.result()
            # The file's end is an empty batch; a feed's is an empty hand (its records may all clean to blank).
            if not (batch[0] if feed is None else more):
                break
            ahead.append(ask())
            if batch[0]:
                yield batch
    finally:
        pool.shutdown(cancel_futures=True)


class _Reader:
    """The child's side: its open file and how to turn rows into drafts. One child per job, one task at a time."""

    rows: Iterator[Row]
    headers: list[str]
    mapping: list[str]
    region: str


def _child_open(parent: int, path: Path, info: TableInfo, after_line: int, mapping: list[str], region: str) -> None:
    _die_with(parent)
    # The child lives for one import and holds nothing worth collecting from before its fork (collector_relaxed).
    gc.freeze()
    gc.set_threshold(*IMPORT_GC_THRESHOLD)
    _drop_inherited_connections()
    _Reader.rows = table_rows(path, info, after_line=after_line)
    _Reader.headers, _Reader.mapping, _Reader.region = info.headers, mapping, region


def _child_next(size: int) -> tuple[list[LeadDraft], int]:
    """The next batch of the file and the progress after it; an empty batch at the end of the file."""
    return _child_draft(itertools.islice(_Reader.rows, size))


def _child_draft(rows: Iterable[Row]) -> tuple[list[LeadDraft], int]:
    return _drafts(rows, _Reader.headers, _Reader.mapping, _Reader.region)


def _drafts(rows: Iterable[Row], headers: list[str], mapping: list[str], region: str) -> tuple[list[LeadDraft], int]:
    """These rows as drafts, and the progress after the last one (an empty list for no rows)."""
    batch, position = [], 0
    for row in rows:
        draft = draft_from_row(row, headers, mapping, region=region)
        if not (draft.rejected or draft.problems):
            draft.values = []  # the raw cells are kept only to report a problem with (a third less to send)
        batch.append(draft)
        position = row.position
    return batch, position


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux), and leave now if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _drop_inherited_connections() -> None:
    """Close the child's copy of the sockets of database connections still open at the fork (inside a transaction,
    as in a dry run). Only the file descriptor: closing the connection would tell the server to end the parent's
    session."""
    for connection in connections.all(initialized_only=True):
        socket = getattr(getattr(connection.connection, "pgconn", None), "socket", -1)
        if socket >= 0:
            os.close(socket)
