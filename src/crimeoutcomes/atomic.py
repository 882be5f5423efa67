"""Write a file under a temporary name beside it and rename it into place, so that a reader never
sees half a file and an interrupted write leaves the previous version intact."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(target: str | Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` fills a temporary sibling of ``target``, which then replaces ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_text_atomically(target: str | Path, text: str) -> Path:
    return write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(data, target: str | Path, indent: int = 2) -> Path:
    """JSON with sorted keys and a fixed indentation (the same bytes for the same data), atomically."""
    import json

    return write_text_atomically(target, json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n")


def remove_stale_temporaries(target: Path) -> None:
    """Temporary copies of ``target`` left by writers that were killed (their process is gone);
    a live writer's copy is left alone."""
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = tmp.name[len(target.name) + 2 : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
