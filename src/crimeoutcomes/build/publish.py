"""Swap a finished folder in for the published one, so that readers see the old copy or the new
one, never half of each; and undo a swap that a killed process left half done."""

from __future__ import annotations

import shutil
from pathlib import Path


def old_copy(final: Path) -> Path:
    return final.with_name(f".{final.name}.old")


def publish(staging: Path, final: Path) -> None:
    """Swap ``staging`` in as ``final``; the old copy is removed only once the new one is in place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = old_copy(final)
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def recover(final: Path) -> None:
    """Undo a publish cut short between its two renames: the previous copy goes back in place."""
    old = old_copy(final)
    if old.is_dir() and not final.exists():
        old.rename(final)
    shutil.rmtree(old, ignore_errors=True)
