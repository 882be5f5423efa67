"""Incremental builds: a run re-runs exactly the notebooks whose inputs changed since the published
build (build.json), nothing when none did, and its outputs equal a full run's bytes.

The tests work on the changing build of conftest (run_all.py's build of two years of the sample,
which test_one_build and test_interrupted_runs change too, each file starting from it as built).
The tests that only ask *what* a run would re-run replace the build step with one that records its
choice (nothing executes, nothing changes); the tests that change what is published run the
notebooks for real, in file order."""

import json
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import CHANGING_FORCES, CHANGING_YEARS, PROJECT_ROOT

from crimeoutcomes.build import incremental, pipeline
from crimeoutcomes.data import digests
from crimeoutcomes.notebook import force_pages

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

NOTEBOOKS = PROJECT_ROOT / "notebooks"
PACKAGE = PROJECT_ROOT / "src" / "crimeoutcomes"
YEAR, FIRST_YEAR = CHANGING_YEARS[-1], CHANGING_YEARS[0]
FORCE_FOLDER = force_pages.force_folder(CHANGING_FORCES[0])


def _files(*folders: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the folders (the run's lock apart): its bytes and modification time."""
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture(scope="module")
def setting(changing_build, two_years, tmp_path_factory):
    """The changing build (conftest's, made by run_all.py), and copies of the notebooks and of the
    package it was built from (to change them): the same files, so the build is up to date with them."""
    base = tmp_path_factory.mktemp("incremental")
    return {
        "files": two_years,
        "raw": changing_build.raw,
        "notebooks": Path(shutil.copytree(NOTEBOOKS, base / "notebooks")),
        "package": Path(
            shutil.copytree(PACKAGE, base / "package", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        ),
        "out": changing_build.out,
        "kept": changing_build.kept,  # the build as run_all.py made it
        "reports": changing_build.reports,
        "figures": changing_build.figures,
    }


def _run(setting, **changes):
    log = []
    arguments = dict(
        financial_year=YEAR,
        first_year=FIRST_YEAR,
        pool_years=1,  # run_all.py's default, as the changing build was made
        source="local",
        raw_dir=setting["raw"],
        out=setting["out"],
        notebooks_dir=setting["notebooks"],
        package_dir=setting["package"],
        jobs=2,
        forces=list(CHANGING_FORCES),
        log=log.append,
    )
    result = pipeline.run(**{**arguments, **changes})
    return result, "\n".join(log)


@pytest.fixture
def chosen(monkeypatch):
    """Replaces the build step: records which notebooks a run would re-run, and runs none."""
    picked = []

    def record_choice(notebooks, *arguments, **keywords):
        picked.append(sorted(n.name for n in notebooks))
        raise _Stop

    monkeypatch.setattr(pipeline, "_build", record_choice)

    def run(setting, **changes):
        with pytest.raises(_Stop):
            _run(setting, **changes)
        return picked[-1]

    return run


class _Stop(Exception):
    pass


ALL = [
    "01_national_totals.ipynb",
    "02_force_comparison.ipynb",
    "03_child_victim_offences.ipynb",
    "04_reconciliation.ipynb",
    "05_force_profile.ipynb",
]


def test_unchanged_inputs_run_nothing_and_publish_nothing(setting, monkeypatch):
    before = _files(setting["out"])

    def no_build(*arguments, **keywords):
        raise AssertionError("a notebook would have run")

    monkeypatch.setattr(pipeline, "_build", no_build)
    result, log = _run(setting)
    assert not result.rebuilt
    assert "Nothing to do" in log and "running" not in log
    assert _files(setting["out"]) == before  # same bytes and times: nothing rewritten or swapped in
    assert result.summary["financial_year"] == YEAR


def test_a_changed_source_file_reruns_every_notebook(setting, chosen):
    workbook = setting["files"].outcomes[FIRST_YEAR]
    original = workbook.read_bytes()
    try:
        _recompress(workbook)  # the same cells, other bytes: as a re-issued file
        assert workbook.read_bytes() != original
        assert chosen(setting) == ALL
    finally:
        workbook.write_bytes(original)


def test_a_changed_parameter_reruns_what_takes_it(setting, chosen):
    assert chosen(setting, count_basis="recorded") == ALL
    assert chosen(setting, first_year=YEAR) == ALL
    # The notebooks that pool: the comparison and the force pages (which show where a force sits in it).
    assert chosen(setting, pool_years=2) == ["02_force_comparison.ipynb", "05_force_profile.ipynb"]
    # Other force pages: the pages themselves and the comparison, which links to each page the build has.
    assert chosen(setting, forces=["Cumbria", "Durham"]) == ["02_force_comparison.ipynb", "05_force_profile.ipynb"]


def test_a_changed_force_page_notebook_or_page_reruns_the_force_pages_only(setting, chosen):
    notebook = setting["notebooks"] / "05_force_profile.ipynb"
    original = notebook.read_bytes()
    try:
        document = nbformat.read(notebook, as_version=4)
        document.cells[0].source += "\n\nA sentence added to test incremental builds."
        nbformat.write(document, notebook)
        assert chosen(setting) == ["05_force_profile.ipynb"]
    finally:
        notebook.write_bytes(original)
    table = setting["figures"] / FORCE_FOLDER / "tables" / "by-year.csv"
    kept = table.read_bytes()
    try:
        table.write_bytes(kept + b"edited by hand\n")
        assert chosen(setting) == ["05_force_profile.ipynb"]
    finally:
        table.write_bytes(kept)


def test_a_changed_package_file_reruns_every_notebook(setting, chosen):
    template = next(setting["package"].rglob("*.j2"))
    original = template.read_text(encoding="utf-8")
    try:
        template.write_text(original + "\n{# changed #}\n", encoding="utf-8")
        assert chosen(setting) == ALL
    finally:
        template.write_text(original, encoding="utf-8")


def test_force_reruns_everything_and_a_damaged_output_its_notebook(setting, chosen):
    assert chosen(setting, rebuild=True) == ALL
    figure = next(p for p in setting["figures"].glob("sexual_cr_by_year.csv"))
    original = figure.read_bytes()
    try:
        figure.write_bytes(original + b"edited by hand\n")
        assert chosen(setting) == ["01_national_totals.ipynb"]
    finally:
        figure.write_bytes(original)


def test_a_changed_notebook_reruns_only_itself_and_changed_back_equals_a_full_run(setting):
    """A sentence added to report 03 re-runs it alone; taken out again, the next run re-runs it alone
    too and leaves every file as run_all.py's full build of the same inputs made it, byte for byte."""
    notebook = setting["notebooks"] / "03_child_victim_offences.ipynb"
    original = notebook.read_bytes()
    document = nbformat.read(notebook, as_version=4)
    cell = next(c for c in document.cells if c.cell_type == "markdown" and not c.source.startswith("# "))
    cell.source += "\n\nA sentence added to test incremental builds."
    nbformat.write(document, notebook)
    rebuilt = ("summary.json", "index.html", "caveats.html", "build.json")  # run_all's own files
    before = _files(setting["out"])
    others = {k: v for k, v in before.items() if "03" not in Path(k).name and "child" not in Path(k).name}

    result, log = _run(setting)
    assert result.rebuilt
    assert "re-running 03_child_victim_offences.ipynb: 03_child_victim_offences.ipynb changed" in log
    assert "01_national_totals: running" not in log and "03_child_victim_offences: running" in log
    after = _files(setting["out"])
    # The other notebooks' outputs: the same bytes, not re-made; run_all's own pages (the sentence
    # changes no number or title) the same bytes.
    assert {k: after[k] for k in others if Path(k).name not in rebuilt} == {
        k: v for k, v in others.items() if Path(k).name not in rebuilt
    }
    assert {k: after[k][0] for k in others if Path(k).name != "build.json"} == {
        k: v[0] for k, v in others.items() if Path(k).name != "build.json"
    }
    assert "A sentence added to test incremental builds." in (
        result.reports_dir / "03-child-victim-offences.html"
    ).read_text(encoding="utf-8")

    notebook.write_bytes(original)
    _, log = _run(setting)
    assert "re-running 03_child_victim_offences.ipynb: 03_child_victim_offences.ipynb changed" in log
    assert "02_force_comparison: running" not in log
    as_built = {Path(k).relative_to(setting["kept"]): v[0] for k, v in _files(setting["kept"]).items()}
    assert {Path(k).relative_to(setting["out"]): v[0] for k, v in _files(setting["out"]).items()} == as_built


def test_plan_reasons_name_what_changed(tmp_path):
    notebooks = [tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"]
    for path in notebooks:
        path.write_text("{}", encoding="utf-8")
    from crimeoutcomes.build import record as build_record

    params = {"financial_year": "2024/25", "count_basis": "closed", "first_year": "2014/15", "pool_years": 1}
    record = build_record.new_record(
        parameters=params, sources=[{"file": "a.xlsx", "sha256": "1" * 64}], package="p", synthetic=True
    )
    for path in notebooks:
        build_record.add_notebook(record, path, {"count_basis": "closed"}, {})
    build_record.add_run_all_outputs(record, tmp_path, [])
    build_record.write_record(record, tmp_path)
    wanted = json.loads(json.dumps(record))
    same = {n.name: {"count_basis": "closed"} for n in notebooks}
    assert incremental.plan(record, wanted, notebooks, same, tmp_path, tmp_path).nothing_to_do
    notebooks[1].write_text('{"cells": []}', encoding="utf-8")
    changed = incremental.plan(record, wanted, notebooks, same, tmp_path, tmp_path)
    assert changed.rerun == {"02_b.ipynb": "02_b.ipynb changed"}
    assert "re-running 02_b.ipynb: 02_b.ipynb changed" in changed.describe()
    new_source = {**wanted, "sources": [{"file": "a.xlsx", "sha256": "2" * 64}]}
    assert set(incremental.plan(record, new_source, notebooks, same, tmp_path, tmp_path).rerun) == {
        "01_a.ipynb",
        "02_b.ipynb",
    }
    assert "a.xlsx changed" in incremental.plan(record, new_source, notebooks, same, tmp_path, tmp_path).describe()


def test_digests_are_remembered_until_the_file_changes(tmp_path, monkeypatch):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"one")
    old = 1_600_000_000
    os.utime(path, (old, old))
    monkeypatch.setattr(digests, "_SETTLED_NS", -(10**20))  # ctime is now: remember it all the same
    first = digests.sha256(path, tmp_path)
    hashed = []
    monkeypatch.setattr(digests, "file_sha256", lambda p: hashed.append(p) or "x")
    assert digests.sha256(path, tmp_path) == first and hashed == []  # remembered
    path.write_bytes(b"two")  # same size
    os.utime(path, (old, old))  # and the same mtime: the ctime still moves
    assert digests.sha256(path, tmp_path) == "x" and hashed == [path]


def _recompress(workbook: Path) -> None:
    """Write the workbook's members again at another compression level: the same cells, other bytes."""
    with zipfile.ZipFile(workbook) as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(workbook, "w") as new:
        for info, data in members:
            new.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
