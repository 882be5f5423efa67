import os
import subprocess
import sys
from pathlib import Path

import pytest

from crimeoutcomes.data.years import year_slug
from crimeoutcomes.synthetic import sample

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRIMEOUTCOMES_SHARED", PROJECT_ROOT.parent / "shared"))

#: One year of each data-sheet spelling: 2014-15, 2019_20, 'Outcomes open data 2021_22', 2022_23, 2024_25.
VINTAGES = ("2014/15", "2019/20", "2021/22", "2022/23", "2024/25")
NOTEBOOK_HTML = [
    "01-national-totals.html",
    "02-force-comparison.html",
    "03-child-victim-offences.html",
    "04-reconciliation.html",
]


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory):
    return sample.write_sample(tmp_path_factory.mktemp("sample"), VINTAGES)


def run_all(*arguments, env_root):
    env = {**os.environ, "CRIMEOUTCOMES_ROOT": str(env_root)}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "run_all.py"), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=900,
    )


@pytest.fixture(scope="session")
def built(sample_files, tmp_path_factory):
    """run_all.py on the sample, once for the session (end-to-end and browser tests read it)."""
    out = tmp_path_factory.mktemp("out")
    result = run_all(
        "--source",
        "local",
        "--raw-dir",
        str(sample_files.folder),
        "--out",
        str(out),
        env_root=tmp_path_factory.mktemp("root"),
    )
    assert result.returncode == 0, result.stderr
    slug = year_slug(VINTAGES[-1])
    return {
        "stderr": result.stderr,
        "reports": out / "reports" / "sample" / slug,
        "figures": out / "figures" / "sample" / slug,
        "out": out,
    }


@pytest.fixture(scope="session")
def shared_dir():
    if not (SHARED / "realdata").is_dir():
        pytest.skip(f"real data folder {SHARED / 'realdata'} is absent (it is only on the project's machines)")
    return SHARED


@pytest.fixture(scope="session")
def real_rows(shared_dir):
    from realdata_rebuild import real_outcome_rows

    return real_outcome_rows(shared_dir)


@pytest.fixture(scope="session")
def real_raw_folder(real_rows, shared_dir, tmp_path_factory):
    """A folder like data/raw without a manifest: the real 2024/25 rows and the real recorded-crime
    table, each rebuilt in the published layout."""
    from realdata_rebuild import real_recorded_crime, write_outcomes_2024_25, write_recorded_crime

    folder = tmp_path_factory.mktemp("real")
    write_outcomes_2024_25(real_rows, folder / "outcomes-2024-25.xlsx")
    write_recorded_crime(real_recorded_crime(shared_dir), folder / "pfa-recorded-crime.ods")
    return folder


@pytest.fixture(scope="session")
def real_outcomes_workbook(real_raw_folder):
    return real_raw_folder / "outcomes-2024-25.xlsx"


@pytest.fixture(autouse=True)
def _isolated_project(tmp_path, monkeypatch):
    """Each test has its own data/ folder, so caches and downloads never touch the checkout's."""
    monkeypatch.setenv("CRIMEOUTCOMES_ROOT", str(tmp_path / "project"))
