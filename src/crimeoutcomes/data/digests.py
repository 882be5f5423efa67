"""sha256 of source files, remembered by path, size, inode and change times.

Deciding whether a build is up to date hashes every source workbook (twelve years are about 400 MB);
a file whose size, inode, mtime and ctime are unchanged has the same bytes (ctime cannot be set back
by a program, unlike mtime), so its digest is taken from ``data/cache/sha256.json`` instead, as make
and git do. A damaged or foreign memo file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_json

MEMO_FILE = "sha256.json"
#: A file changed less than this long ago is not remembered: timestamps are coarse (a few ms), so a
#: second write in the same tick would keep the stamp ("racy git").
_SETTLED_NS = 2_000_000_000


_CHUNK = 1024 * 1024


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_stamp(path: Path) -> list[int]:
    """What changes when a file is written or replaced: size, inode, modification and change times."""
    status = os.stat(path)
    return [status.st_size, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


def _load(memo: Path) -> dict:
    try:
        found = json.loads(memo.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def sha256_of(files: list[Path], cache_dir: Path | None = None) -> dict[Path, str]:
    """file -> sha256, hashing only the files whose stamp changed since they were last hashed."""
    memo_path = (cache_dir or config.cache_dir()) / MEMO_FILE
    memo = _load(memo_path)
    found, changed = {}, False
    for path in files:
        key = str(Path(path).resolve())
        stamp = file_stamp(path)
        entry = memo.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
            found[path] = entry["sha256"]
            continue
        found[path] = file_sha256(path)
        settled = time.time_ns() - max(stamp[2], stamp[3]) > _SETTLED_NS
        if settled and file_stamp(path) == stamp:  # not remembered if the file changed while it was read
            memo[key] = {"stamp": stamp, "sha256": found[path]}
            changed = True
    if changed:
        try:
            write_json(memo, memo_path, indent=1)
        except OSError:
            pass  # only a memo: a read-only cache folder costs time, never correctness
    return found


def sha256(path: Path, cache_dir: Path | None = None) -> str:
    return sha256_of([Path(path)], cache_dir)[Path(path)]


#: What counts as the package's code in its fingerprint (templates, reference tables and docs included).
_CODE_SUFFIXES = {".py", ".csv", ".md", ".j2", ".json", ".css"}


def package_fingerprint(package_dir: Path) -> str:
    """sha256 over the package's source files (names and contents), in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in package_dir.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts
    ):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
