"""manifest.json: what each source file is, where it came from and its checksum."""

from __future__ import annotations

import json
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_json


def load_manifest(folder: Path | None = None) -> dict:
    path = config.manifest_path(folder)
    if not path.is_file():
        return {"synthetic": False, "files": []}
    return json.loads(path.read_text(encoding="utf-8"))


def save_manifest(manifest: dict, folder: Path | None = None) -> Path:
    """Write atomically, entries sorted by file name, so that re-runs give the same bytes."""
    path = config.manifest_path(folder)
    manifest = {**manifest, "files": sorted(manifest.get("files", []), key=lambda e: e["filename"])}
    return write_json(manifest, path)


def upsert_entry(manifest: dict, entry: dict) -> dict:
    files = [e for e in manifest.get("files", []) if e["filename"] != entry["filename"]]
    return {**manifest, "files": files + [entry]}
