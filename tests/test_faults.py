"""Faults: bad parameters, a killed cache write, atomic writers, and what a run leaves when it
cannot run. Each test checks the message and that nothing already built was touched."""

import errno
import os
import signal
import subprocess
import sys

import nbformat
import polars as pl
import pytest
from conftest import PROJECT_ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import run_all
from crimeoutcomes import atomic, locks
from crimeoutcomes import config as paths
from crimeoutcomes.build import pipeline, publish
from crimeoutcomes.data import cache as store
from crimeoutcomes.data import manifest
from crimeoutcomes.data.load import load_table
from crimeoutcomes.data.read import parse_outcomes
from crimeoutcomes.notebook import figures as plots
from crimeoutcomes.synthetic import writer as workbook_writer


def _tree(folder):
    """Every file under ``folder`` with its bytes (the lock file aside: it is the run's, not a report)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != locks.LOCK_NAME
    }


@pytest.fixture
def previous_reports(tmp_path):
    """An output folder holding reports from an earlier run."""
    out = tmp_path / "out"
    for name in ("reports/sample/2024-25/index.html", "figures/sample/2024-25/trend.csv"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"earlier {name}\n")
    return out


def test_a_year_with_no_data_stops_before_the_output_folder_is_touched(sample_files, previous_reports, capsys):
    before = _tree(previous_reports)
    code = run_all.main(
        [
            "--source",
            "local",
            "--raw-dir",
            str(sample_files.folder),
            "--year",
            "2031/32",
            "--out",
            str(previous_reports),
        ]
    )
    assert code == 2
    assert "financial_year: 2031/32 is not in" in capsys.readouterr().err
    assert _tree(previous_reports) == before
    assert not (previous_reports / "reports" / locks.LOCK_NAME).exists()  # not even the lock


def test_a_bad_workbook_stops_the_run_and_names_the_file(sample_files, previous_reports, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    data = sample_files.outcomes["2024/25"].read_bytes()
    (raw / "outcomes-2024-25.xlsx").write_bytes(data[: len(data) // 3])
    before = _tree(previous_reports)
    code = run_all.main(["--source", "local", "--raw-dir", str(raw), "--out", str(previous_reports)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(raw / "outcomes-2024-25.xlsx") in err and "damaged or truncated" in err
    assert _tree(previous_reports) == before


def test_a_second_run_on_the_same_folder_is_refused_with_the_holder_named(sample_files, previous_reports, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom crimeoutcomes.locks import exclusive\n"
            "with exclusive(Path(sys.argv[1]), 'x'):\n    print('held', flush=True)\n    time.sleep(120)\n",
            str(previous_reports / "reports"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = _tree(previous_reports)
        code = run_all.main(
            ["--source", "local", "--raw-dir", str(sample_files.folder), "--out", str(previous_reports)]
        )
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert code == 2
    assert "is in use by another run" in err and f"process {holder.pid}" in err
    assert _tree(previous_reports) == before
    assert not list((previous_reports / "reports").glob(".staging-*"))


def test_the_lock_dies_with_its_holder(tmp_path):
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\nfrom pathlib import Path\n"
            "from crimeoutcomes.locks import exclusive\n"
            "with exclusive(Path(sys.argv[1]), 'x'):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
            str(tmp_path),
        ]
    )
    assert killed.returncode == -signal.SIGKILL
    with locks.exclusive(tmp_path, "the folder") as lock:  # no stale lock to clear by hand
        assert f"process {os.getpid()}" in lock.read_text()


KILL_WHILE_CACHING = """
import os, signal, sys
import polars as pl
from crimeoutcomes.data.load import load_table

write = pl.DataFrame.write_parquet
def killed_half_way(self, file, **options):
    write(self, file, **options)
    with open(file, "r+b") as handle:
        handle.truncate(os.path.getsize(file) // 2)
    os.kill(os.getpid(), signal.SIGKILL)
pl.DataFrame.write_parquet = killed_half_way
load_table(sys.argv[1])
"""


def test_killed_while_caching_then_a_rerun_builds_the_same_cache(sample_files):
    source = sample_files.outcomes["2019/20"]
    killed = subprocess.run([sys.executable, "-c", KILL_WHILE_CACHING, str(source)], env=dict(os.environ))
    assert killed.returncode == -signal.SIGKILL
    cache = paths.cache_dir()
    assert not list(cache.glob("*.parquet")), "a half-written cache file was published"
    assert list(cache.glob(".*.tmp")), "the kill did not happen during the cache write"
    table = load_table(source)
    assert table.equals(parse_outcomes(source))
    assert len(list(cache.glob("*.parquet"))) == 1
    assert not list(cache.glob(".*.tmp")), "the killed writer's temporary file was left behind"
    assert pl.read_parquet(next(cache.glob("*.parquet"))).equals(table)


def _notebook(path):
    """A notebook as papermill leaves it: clock times in its metadata."""
    notebook = new_notebook(cells=[new_markdown_cell("# A report"), new_code_cell("1 + 1")])
    notebook.metadata["papermill"] = {"start_time": "2026-11-23T09:18:58", "duration": 14.7}
    notebook.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-11-23T09:18:59Z"}
    nbformat.write(notebook, path)
    return path


def _writers(tmp_path):
    """Each writer of a published file, as (name, targets, call)."""
    frame = pl.DataFrame({"force": ["Kent"], "community_resolutions": [3]})
    figure_base = tmp_path / "figures" / "trend"

    def figure():
        fig, ax = plots.new_figure()
        ax.plot([1, 2], [3, 4])
        plots.save_figure(fig, frame, figure_base, synthetic=True)

    notebook = _notebook(tmp_path / "n.ipynb")
    return [
        ("cache", [tmp_path / "c.parquet"], lambda: store.write_parquet_atomic(frame, tmp_path / "c.parquet")),
        ("figure CSV", [tmp_path / "t.csv"], lambda: store.write_csv_atomic(frame, tmp_path / "t.csv")),
        ("figure", [figure_base.with_suffix(s) for s in (".png", ".svg", ".csv")], figure),
        ("summary.json", [tmp_path / "summary.json"], lambda: atomic.write_json({"a": 1}, tmp_path / "summary.json")),
        ("HTML report", [tmp_path / "r.html"], lambda: pipeline.export_html(notebook, tmp_path / "r.html", "A")),
        ("executed notebook", [notebook], lambda: pipeline.make_reproducible(notebook, [tmp_path], tmp_path)),
        ("manifest", [tmp_path / "manifest.json"], lambda: manifest.save_manifest({"files": []}, tmp_path)),
        (
            "workbook",
            [tmp_path / "w.xlsx"],
            lambda: workbook_writer.write_workbook(tmp_path / "w.xlsx", [workbook_writer.Sheet("S", rows=[["x"]])]),
        ),
    ]


@pytest.mark.parametrize(
    "writer",
    range(8),
    ids=["cache", "figure CSV", "figure", "summary.json", "HTML report", "executed notebook", "manifest", "workbook"],
)
def test_every_writer_replaces_its_file_whole_or_not_at_all(writer, tmp_path, monkeypatch):
    name, targets, call = _writers(tmp_path)[writer]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_bytes(b"the previous version")
    before = {t: t.read_bytes() for t in targets}

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        call()
    assert {t: t.read_bytes() for t in targets} == before, f"the {name} was changed by a failed write"
    assert not [p for p in tmp_path.rglob("*.tmp")], f"the {name} left a temporary file"
    monkeypatch.undo()
    call()  # and with room on the disk, the same call replaces it
    assert any(t.read_bytes() != before[t] for t in targets)


def test_write_errors_are_explained():
    full = locks.not_writable(OSError(errno.ENOSPC, "No space left on device", "/out/reports/x.html"))
    assert str(full) == "cannot write /out/reports/x.html: the disk is full: free some space and run again"
    read_only = locks.not_writable(OSError(errno.EROFS, "Read-only file system"), "the output folder /out")
    assert "the output folder /out" in str(read_only) and "read-only" in str(read_only) and "--out" in str(read_only)


def test_an_interrupted_publish_is_undone(tmp_path):
    final = tmp_path / "reports" / "2024-25"
    old = final.with_name(".2024-25.old")
    old.mkdir(parents=True)
    (old / "index.html").write_text("the published reports")
    publish.recover(final)  # killed between moving the old copy aside and moving the new one in
    assert (final / "index.html").read_text() == "the published reports" and not old.exists()


def test_run_all_script_exits_2_with_the_message_for_bad_parameters(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "run_all.py"), "--basis", "opened", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "--basis" in result.stderr and "Traceback" not in result.stderr
