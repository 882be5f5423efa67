"""One run at a time per folder, and a clear word when a folder cannot be written.

The lock is an advisory ``flock`` on ``<folder>/.lock``: the kernel drops it when its holder
ends, however it ends (a killed run never leaves a stale lock behind), and the file names the
holder so that the second run can say who it is waiting for.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from crimeoutcomes.errors import CrimeOutcomesError

LOCK_NAME = ".lock"


class FolderLocked(CrimeOutcomesError):
    """Another run holds the folder."""


class FolderNotWritable(CrimeOutcomesError):
    """A folder (or a file in it) cannot be written: read-only, no permission, or the disk is full."""


#: The errors that mean "this cannot be written here", with what to do about each.
ADVICE = {
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EROFS: "the file system is read-only: choose another folder (run_all.py --out DIR)",
    errno.EACCES: "permission denied: choose a folder you can write to (run_all.py --out DIR)",
    errno.EPERM: "permission denied: choose a folder you can write to (run_all.py --out DIR)",
}


def is_not_writable(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in ADVICE


def not_writable(error: OSError, what: str | None = None) -> FolderNotWritable:
    """The message for an ``OSError`` met while writing ``what`` (default: the file it names)."""
    default = error.strerror or str(error)
    reason = ADVICE.get(error.errno, default) if error.errno is not None else default
    what = what or (str(error.filename) if error.filename else "a file")
    return FolderNotWritable(f"cannot write {what}: {reason}")


def check_writable(folder: Path, what: str) -> None:
    """Create ``folder`` and a file in it, so that a read-only or full disk is found before any work."""
    probe = folder / f".write-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise not_writable(exc, what) from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass


@contextmanager
def exclusive(folder: Path, what: str, *, wait: bool = False) -> Iterator[Path]:
    """Hold ``folder`` for this process. A second holder gets ``FolderLocked`` at once, or with
    ``wait`` (for short jobs such as writing the sample) waits its turn."""
    check_writable(folder, what)
    path = folder / LOCK_NAME
    try:
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise not_writable(exc, what) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise FolderLocked(
            f"{what} is in use by another run ({holder}); wait for it to finish, or use another folder. Lock: {path}"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).replace(microsecond=0).isoformat()
        handle.write(f"process {os.getpid()}, started {started}\n")
        handle.flush()
        yield path
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
