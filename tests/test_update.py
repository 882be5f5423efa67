"""A new financial year in one command: before a build, 'auto' asks GOV.UK (here a local server)
which releases exist and downloads only the new or re-issued files; offline it says it could not
check and uses what it has."""

import json
import shutil
from datetime import date

from test_download import OUTCOMES_2024_BROKEN, OUTCOMES_2025, OUTCOMES_2025_OLD, PFA, server  # noqa: F401

from crimeoutcomes.data.cache import file_sha256
from crimeoutcomes.data.manifest import load_manifest, save_manifest
from crimeoutcomes.sources import obtain


def _hold(raw, server, filename, source_bytes, year, release, release_date):
    """A file in the folder as an earlier fetch would have left it, with its manifest entry."""
    raw.mkdir(parents=True, exist_ok=True)
    (raw / filename).write_bytes(source_bytes)
    manifest = load_manifest(raw)
    manifest["files"].append(
        {
            "filename": filename,
            "kind": "outcomes",
            "financial_year": year,
            "url": f"{server.base}/media/old/{filename}",
            "release": release,
            "release_date": release_date.isoformat(),
            "sha256": file_sha256(raw / filename),
            "title": f"Outcomes open data, year ending March {int(year[:4]) + 1}",
            "synthetic": False,
        }
    )
    save_manifest(manifest, raw)


def _media(server):
    return sorted(p.rsplit("/", 1)[-1] for p in server.requests if p.startswith("/media/"))


def test_a_reissued_file_is_downloaded_and_then_nothing_more(server, tmp_path):
    raw = tmp_path / "raw"
    _hold(raw, server, OUTCOMES_2025_OLD, server.files[OUTCOMES_2025_OLD], "2024/25", "230426", date(2026, 4, 23))
    log = []
    found = obtain("auto", raw, log=log.append, base_url=server.base)
    assert _media(server) == [OUTCOMES_2025, PFA]  # the re-issue and the file not held; nothing else
    assert found.outcomes["2024/25"].name == OUTCOMES_2025  # the newest release is used
    assert [p.name for p in found.releases["2024/25"]] == [OUTCOMES_2025_OLD, OUTCOMES_2025]  # the old one kept
    assert any("re-issued (230426 -> 230726)" in line for line in log)

    log.clear()
    obtain("auto", raw, log=log.append, base_url=server.base)
    assert _media(server) == [OUTCOMES_2025, PFA]  # up to date: no second download
    assert any("no new or re-issued file" in line for line in log)


def test_a_new_financial_year_is_downloaded(server, tmp_path, sample_files):
    raw = tmp_path / "raw"
    _hold(
        raw,
        server,
        "prc-outcomes-open-data-mar2023-tables-230726.xlsx",
        sample_files.outcomes["2022/23"].read_bytes(),
        "2022/23",
        "230726",
        date(2026, 7, 23),
    )
    log = []
    found = obtain("auto", raw, log=log.append, base_url=server.base)
    assert found.years == ["2022/23", "2024/25"]  # 2024/25 is new
    assert found.outcomes["2024/25"].read_bytes() == server.files[OUTCOMES_2025]
    assert OUTCOMES_2025_OLD not in _media(server)  # only the newest release of the new year
    # 2023/24 is newer too, but its file is broken: said so, not kept, and the rest still fetched.
    assert any(f"Could not download {OUTCOMES_2024_BROKEN}" in line for line in log)
    assert not (raw / OUTCOMES_2024_BROKEN).exists()


def test_offline_it_says_it_could_not_check_and_uses_what_it_has(server, tmp_path, monkeypatch):
    from crimeoutcomes.data import http

    waits = []  # the back-off before each retry, noted rather than slept (2 s of this test)
    monkeypatch.setitem(http.get.__kwdefaults__, "sleep", waits.append)
    raw = tmp_path / "raw"
    _hold(raw, server, OUTCOMES_2025_OLD, server.files[OUTCOMES_2025_OLD], "2024/25", "230426", date(2026, 4, 23))
    before = (raw / "manifest.json").read_bytes()
    unreachable = server.base.rsplit(":", 1)[0] + ":9"  # the discard port: nothing listens
    log = []
    found = obtain("auto", raw, log=log.append, base_url=unreachable)
    assert found.outcomes["2024/25"].name == OUTCOMES_2025_OLD
    assert any(line.startswith("Could not check GOV.UK for new releases") and str(raw) in line for line in log)
    assert (raw / "manifest.json").read_bytes() == before
    assert waits  # it retried before giving up


def test_local_never_checks_and_a_folder_filled_by_hand_is_not_checked(server, tmp_path, sample_files):
    raw = tmp_path / "raw"
    _hold(raw, server, OUTCOMES_2025_OLD, server.files[OUTCOMES_2025_OLD], "2024/25", "230426", date(2026, 4, 23))
    obtain("local", raw, base_url=server.base)
    hand = tmp_path / "hand"
    hand.mkdir()
    shutil.copy(sample_files.outcomes["2024/25"], hand / "outcomes.xlsx")
    obtain("auto", hand, base_url=server.base)
    assert server.requests == []
    assert json.loads((raw / "manifest.json").read_text())["files"][0]["filename"] == OUTCOMES_2025_OLD
