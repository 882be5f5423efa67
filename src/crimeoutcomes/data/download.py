"""Download published files: streamed, checked, written atomically, recorded in the manifest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import requests
from tqdm import tqdm

from crimeoutcomes import config
from crimeoutcomes.data.cache import file_sha256
from crimeoutcomes.data.govuk import OUTCOMES, RECORDED_CRIME, SourceFile, discover, newest
from crimeoutcomes.data.http import HttpPolicy, get, new_session
from crimeoutcomes.data.manifest import load_manifest, save_manifest, upsert_entry
from crimeoutcomes.data.workbook import workbook_format
from crimeoutcomes.errors import CrimeOutcomesError, DownloadError, InputFileError
from crimeoutcomes.locks import exclusive

_CHUNK = 1024 * 1024


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def download_file(
    source: SourceFile,
    raw_dir: Path | None = None,
    *,
    policy: HttpPolicy | None = None,
    session: requests.Session | None = None,
    progress: bool = True,
) -> dict:
    """Fetch one file into ``raw_dir`` unless an identical copy is there; returns its manifest entry."""
    raw_dir = raw_dir or config.raw_dir()
    policy = policy or HttpPolicy()
    raw_dir.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(raw_dir)
    target = raw_dir / source.filename
    known = next((e for e in manifest["files"] if e["filename"] == source.filename), None)
    if known and known.get("url") == source.url and target.is_file() and file_sha256(target) == known["sha256"]:
        return known

    tmp = raw_dir / f".{source.filename}.{os.getpid()}.part"
    try:
        digest, size = _stream(source, tmp, policy, session, progress)
        try:
            workbook_format(tmp)
        except InputFileError as exc:
            raise DownloadError(f"{source.url}: {exc.problem}; not kept") from exc
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    entry = {
        "filename": source.filename,
        "title": source.title,
        "url": source.url,
        "kind": source.kind,
        "financial_year": source.financial_year,
        "release": source.release,
        "release_date": source.release_date.isoformat() if source.release_date else None,
        "retrieved_at": _now(),
        "bytes": size,
        "sha256": digest,
        "synthetic": False,
    }
    save_manifest(upsert_entry(load_manifest(raw_dir), entry), raw_dir)
    return entry


def _stream(source: SourceFile, tmp: Path, policy: HttpPolicy, session, progress: bool) -> tuple[str, int]:
    response = get(source.url, policy, session, stream=True)
    with response:
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > policy.max_bytes:
            raise DownloadError(f"{source.url}: {declared:,} bytes is over the {policy.max_bytes:,}-byte ceiling")
        digest, size = hashlib.sha256(), 0
        bar = tqdm(
            total=declared or None, unit="B", unit_scale=True, desc=source.filename, disable=not progress, leave=False
        )
        with open(tmp, "wb") as out, bar:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > policy.max_bytes:
                    raise DownloadError(f"{source.url}: over the {policy.max_bytes:,}-byte ceiling; not kept")
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    if declared and size != declared:
        raise DownloadError(f"{source.url}: received {size:,} of {declared:,} bytes; not kept")
    return digest.hexdigest(), size


LATEST = "latest"


def select(sources: Iterable[SourceFile], years: Iterable[str] | str | None) -> list[SourceFile]:
    """The newest file of each wanted year and the recorded-crime file.

    ``years``: financial years, None for every year, or LATEST for the latest year published.
    """
    chosen = newest(sources)
    if years == LATEST:
        published = [y for k, y in chosen if k == OUTCOMES and y is not None]
        if not published:
            raise DownloadError("no outcomes file is listed on the page")
        years = [max(published)]
    wanted = None if years is None else set(years)
    picked = [
        s
        for (kind, year), s in sorted(chosen.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        if kind == RECORDED_CRIME or wanted is None or year in wanted
    ]
    missing = (wanted or set()) - {s.financial_year for s in picked if s.kind == OUTCOMES}
    if missing:
        available = sorted(y for k, y in chosen if k == OUTCOMES and y is not None)
        raise DownloadError(
            f"no outcomes file published for {', '.join(sorted(missing))} (published: {', '.join(available)})"
        )
    return picked


def fetch(
    years: Iterable[str] | str | None = None,
    raw_dir: Path | None = None,
    *,
    base_url: str | None = None,
    progress: bool = True,
) -> list[dict]:
    """Discover the published files and download the newest release of each wanted year."""
    policy = HttpPolicy.for_base_url(base_url) if base_url else HttpPolicy()
    session = new_session()
    sources = discover(policy, session, base_url)
    raw_dir = raw_dir or config.raw_dir()
    with exclusive(raw_dir, f"the download folder {raw_dir}", wait=True):
        for stale in raw_dir.glob(".*.part"):  # left by a download that was killed (we hold the folder)
            stale.unlink(missing_ok=True)
        entries = [
            download_file(s, raw_dir, policy=policy, session=session, progress=progress) for s in select(sources, years)
        ]
        _record_discovered(sources, raw_dir)
    return entries


#: The check for new releases before a build: quick to give up, since the files at hand will do.
CHECK_POLICY = HttpPolicy(retries=1, timeout_seconds=15.0)


def _held(manifest: dict, raw_dir: Path) -> dict[tuple[str, str | None], dict]:
    """The newest downloaded release of each (kind, financial year) on disk."""
    held: dict[tuple[str, str | None], dict] = {}
    for entry in manifest.get("files", []):
        if (
            entry.get("url")
            and entry.get("kind") in (OUTCOMES, RECORDED_CRIME)
            and (raw_dir / entry["filename"]).is_file()
        ):
            key = (entry["kind"], entry.get("financial_year") if entry["kind"] == OUTCOMES else None)
            if key not in held or (entry.get("release_date") or "") > (held[key].get("release_date") or ""):
                held[key] = entry
    return held


def updates(sources: Iterable[SourceFile], held: dict[tuple[str, str | None], dict]) -> list[tuple[SourceFile, str]]:
    """What to download to bring a folder up to date, and why: a financial year newer than any held,
    a newer release (re-issue) of a file held, the recorded-crime file if none is held. Older years
    the folder never held are left out ('fetch --all' gets them)."""
    newest_held_year = max((year for kind, year in held if kind == OUTCOMES and year is not None), default=None)
    wanted = []
    for (kind, year), source in sorted(newest(sources).items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        have = held.get((kind, year))
        if have is not None:
            if source.filename != have["filename"] and (
                source.release_date.isoformat() if source.release_date else ""
            ) > (have.get("release_date") or ""):
                wanted.append((source, f"re-issued ({have.get('release') or have['filename']} -> {source.release})"))
        elif kind == RECORDED_CRIME:
            wanted.append((source, "not held"))
        elif newest_held_year is None or (year is not None and year > newest_held_year):
            wanted.append((source, f"new year {year}"))
    return wanted


def update(
    raw_dir: Path | None = None, *, base_url: str | None = None, progress: bool = True, log=lambda message: None
) -> list[dict]:
    """Ask GOV.UK which releases exist and download only what is new or re-issued since the folder
    was filled (see ``updates``); returns the new manifest entries. Discovery failing raises
    DownloadError or SourceDiscoveryError (the caller uses what it has); one file failing to
    download is logged and the others are still fetched."""
    raw_dir = raw_dir or config.raw_dir()
    policy = (
        HttpPolicy.for_base_url(base_url, retries=CHECK_POLICY.retries, timeout_seconds=CHECK_POLICY.timeout_seconds)
        if base_url
        else CHECK_POLICY
    )
    session = new_session()
    sources = discover(policy, session, base_url)
    with exclusive(raw_dir, f"the download folder {raw_dir}", wait=True):
        for stale in raw_dir.glob(".*.part"):  # left by a download that was killed (we hold the folder)
            stale.unlink(missing_ok=True)
        entries = []
        for source, why in updates(sources, _held(load_manifest(raw_dir), raw_dir)):
            log(f"Downloading {source.filename}: {why}")
            try:
                entries.append(download_file(source, raw_dir, policy=policy, session=session, progress=progress))
            except CrimeOutcomesError as exc:
                log(f"Could not download {source.filename} ({exc}); using the files already in {raw_dir}")
        _record_discovered(sources, raw_dir)
    return entries


def _record_discovered(sources: list[SourceFile], raw_dir: Path) -> None:
    """The manifest lists every file found on the page, and which release of each was taken."""
    manifest = load_manifest(raw_dir)
    chosen = set(newest(sources).values())
    manifest["discovered"] = sorted(
        (
            {
                "title": s.title,
                "filename": s.filename,
                "kind": s.kind,
                "financial_year": s.financial_year,
                "release": s.release,
                "newest": s in chosen,
            }
            for s in sources
        ),
        key=lambda d: d["filename"],
    )
    save_manifest(manifest, raw_dir)
