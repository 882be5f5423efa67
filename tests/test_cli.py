"""python -m crimeoutcomes: read, sample, data (and its old name, build), the help of each command."""

import os
import shutil
import subprocess
import sys

import polars as pl
import pytest
from conftest import sample_truth
from polars.testing import assert_frame_equal

from crimeoutcomes import cli
from crimeoutcomes.synthetic import sample

# reads go through the run's shared cache of parsed workbooks (these tests are of the commands, not the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")


def test_read_writes_the_tidy_table_of_several_workbooks(sample_files, tmp_path):
    out = tmp_path / "tidy.parquet"
    years = ["2019/20", "2024/25"]
    assert cli.main(["read", *map(str, (sample_files.outcomes[y] for y in years)), "--out", str(out)]) == 0
    expected = pl.concat([sample_truth(y) for y in years])
    # polars reads the pandas categories as its own: cast to the engine's schema to compare
    written = pl.read_parquet(out)
    assert written["data"].unique().to_list() == ["SYNTHETIC DATA"]
    assert_frame_equal(written.drop("data").cast(dict(expected.schema)), expected)


def test_read_recorded_crime_and_no_cache(sample_files, tmp_path):
    out = tmp_path / "pfa.parquet"
    assert cli.main(["read", str(sample_files.recorded_crime), "--out", str(out), "--no-cache"]) == 0
    assert (
        pl.read_parquet(out)["offences"].sum()
        == sample.recorded_crime_truth(sample.financial_years_between("2012/13", "2024/25"))["offences"].sum()
    )


def test_read_refuses_two_releases_of_one_year(sample_files, tmp_path, capsys):
    path = sample_files.outcomes["2024/25"]
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    assert cli.main(["read", str(path), str(copy), "--out", str(tmp_path / "x.parquet")]) == 2
    assert "both hold 2024/25" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_read_error_names_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("<html>error</html>")
    assert cli.main(["read", str(bad), "--out", str(tmp_path / "x.parquet")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "HTML" in err


def test_sample_command_writes_ods_too(tmp_path, capsys, monkeypatch):
    """The command's path to ODS, on a few forces' rows (every force's, in two full-size workbooks,
    took 5-10 s; the reader's round trip of a whole ODS year is test_read_outcomes')."""
    from crimeoutcomes.data.read import parse_outcomes

    few = sample_truth("2024/25").filter(pl.col("force").is_in(["Kent", "London, City of", "Devon and Cornwall"]))
    monkeypatch.setattr(sample, "outcomes_truth", lambda year, full_size=False: few)
    assert cli.main(["sample", "--out", str(tmp_path), "--years", "2024-25", "--format", "ods"]) == 0
    workbook = tmp_path / sample.outcomes_filename("2024/25", "ods")
    assert_frame_equal(parse_outcomes(workbook), few)
    assert (tmp_path / "manifest.json").is_file()


def _copy_of_the_last_year(sample_files):
    """A stand-in for ``write_sample(folder)``: what ``write_sample(folder, ["2024/25"])`` writes (the
    same bytes), copied from the run's sample rather than generated again (4 s)."""
    from crimeoutcomes.data.manifest import load_manifest, save_manifest

    def write(folder):
        folder.mkdir(parents=True, exist_ok=True)
        manifest = load_manifest(sample_files.folder)
        manifest["files"] = [e for e in manifest["files"] if e["financial_year"] in (None, "2024/25")]
        for entry in manifest["files"]:
            shutil.copyfile(sample_files.folder / entry["filename"], folder / entry["filename"])
        save_manifest(manifest, folder)

    return write


def test_data_falls_back_to_the_sample_and_says_so(sample_files, tmp_path, monkeypatch, capsys):
    import crimeoutcomes.sources as source_set
    from crimeoutcomes.errors import DownloadError

    def offline(*args, **kwargs):
        raise DownloadError("network unreachable")

    monkeypatch.setattr(source_set, "fetch", offline)
    monkeypatch.setattr(source_set, "write_sample", _copy_of_the_last_year(sample_files))
    assert cli.main(["data", "--raw-dir", str(tmp_path / "raw")]) == 0
    captured = capsys.readouterr()
    assert "SYNTHETIC" in captured.err and "network unreachable" in captured.err
    assert "SYNTHETIC sample" in captured.out and "outcomes 2024/25 (" in captured.out


#: Each command, the words its own help must show (its arguments), and the function it runs.
COMMANDS = {
    "read": (["PATH", "--out", "--no-cache"], "_cmd_read"),
    "survey": (["FILE", "--raw-dir", "--no-data-folder"], "_cmd_survey"),
    "sample": (["--out", "--full-size", "--years", "--format"], "_cmd_sample"),
    "fetch": (["--year", "--all", "--raw-dir", "--base-url", "--quiet"], "_cmd_fetch"),
    "data": (["--source", "--raw-dir"], "_cmd_data"),
    "diff": (["OLD", "NEW", "--out", "--top"], "_cmd_diff"),
    "site": (["--out", "--site"], "_cmd_site"),
    "funnel": (["IN.csv", "--out", "--kind"], "_cmd_funnel"),
    "kernel": (["Jupyter kernel"], "_cmd_kernel"),
}


def _help(command: str, capsys, monkeypatch) -> str:
    """``python -m crimeoutcomes COMMAND --help``: the first command's through a real interpreter (its
    exit code and console), the others' in this process (a new interpreter each cost half a second)."""
    if command == next(iter(COMMANDS)):
        result = subprocess.run(
            [sys.executable, "-m", "crimeoutcomes", command, "--help"], capture_output=True, text=True
        )
        assert result.returncode == 0
        return result.stdout
    # argparse wraps the help to the terminal's width: here, the width the subprocess gets (no terminal)
    monkeypatch.setenv("COLUMNS", os.environ.get("COLUMNS", "80"))
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(command, capsys, monkeypatch):
    shown = _help(command, capsys, monkeypatch)
    assert "usage:" in shown
    # The help is the command's own (argparse prints the top-level help for any unknown word's parent).
    assert f"usage: python -m crimeoutcomes {command}" in shown
    for word in COMMANDS[command][0]:
        assert word in shown, f"{command} --help does not mention {word}"


def test_every_command_runs_its_own_function():
    parser = cli.build_parser()
    minimal = {
        "read": ["a.xlsx", "--out", "x.parquet"],
        "survey": ["a.xlsx"],
        "sample": ["--out", "d"],
        "fetch": [],
        "data": [],
        "diff": ["old.xlsx", "new.xlsx"],
        "site": [],
        "funnel": ["in.csv", "--out", "o.csv"],
        "kernel": [],
    }
    assert set(minimal) == set(COMMANDS)
    for command, arguments in minimal.items():
        assert parser.parse_args([command, *arguments]).run is getattr(cli, COMMANDS[command][1])
    assert parser.parse_args(["diff", "o.xlsx", "n.xlsx"]).top == 10
    assert parser.parse_args(["funnel", "in.csv", "--out", "o.csv"]).kind is None


def test_build_is_a_deprecated_alias_of_data(tmp_path, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(cli, "_cmd_data", lambda args: ran.append((args.source, args.raw_dir)) or 0)
    assert cli.main(["build", "--source", "sample", "--raw-dir", str(tmp_path)]) == 0
    assert ran == [("sample", tmp_path)]  # the same arguments, the same work as 'data'
    assert capsys.readouterr().err == "'build' is now 'data'\n"


def test_the_help_lists_data_not_build():
    listing = cli.build_parser().format_help()
    assert "{read,survey,sample,fetch,data,diff,site,review,kernel,funnel}" in listing
    assert not any(line.split()[:1] == ["build"] for line in listing.splitlines())  # no entry of its own


def test_funnel_command_writes_the_table(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("unit,events,n\nA,1,100\nB,9,100\nC,5,100\n")
    out = tmp_path / "out.csv"
    assert cli.main(["funnel", str(source), "--out", str(out)]) == 0
    table = pl.read_csv(out)
    assert table["unit"].to_list() == ["A", "B", "C"]
    assert table["target"].to_list() == pytest.approx([0.05] * 3)  # 15 events in 300
    assert table["value"].to_list() == pytest.approx([0.01, 0.09, 0.05])


def test_diff_command_reports_the_changed_cells(sample_files, tmp_path, capsys):
    from crimeoutcomes.synthetic.releases import earlier_release
    from crimeoutcomes.synthetic.writer import write_workbook

    new = sample_files.outcomes["2024/25"]
    truth = sample_truth("2024/25")
    old_truth = earlier_release(truth)
    # compresslevel 1: the cells are what the diff reads, not the compression (zlib's default level is slow)
    old = write_workbook(tmp_path / "old.xlsx", sample.outcomes_workbook_sheets(old_truth), compresslevel=1)
    out = tmp_path / "cells.csv"
    assert cli.main(["diff", str(old), str(new), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    changed = (
        old_truth.join(truth, on=["financial_year", "quarter", "force", "offence_code", "outcome_type"], suffix="_new")
        .filter((pl.col("recorded") != pl.col("recorded_new")) | (pl.col("closed") != pl.col("closed_new")))
        .height
    )
    assert changed > 0
    assert f"old.xlsx -> {new.name}: {changed:,} of {truth.height:,} cells differ" in printed
    assert pl.read_csv(out).height == changed


def test_site_command_names_the_index(tmp_path, monkeypatch, capsys):
    import crimeoutcomes.build.site as site

    calls = []
    monkeypatch.setattr(site, "build_site", lambda out, where: calls.append((out, where)) or tmp_path / "s")
    assert cli.main(["site", "--out", str(tmp_path / "o"), "--site", str(tmp_path / "s")]) == 0
    assert calls == [(tmp_path / "o", tmp_path / "s")]
    assert capsys.readouterr().out == f"Site: {tmp_path / 's' / 'index.html'}\n"


def test_bad_year_argument_is_refused_before_anything_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "crimeoutcomes", "sample", "--out", str(tmp_path), "--years", "2024/26"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "not a financial year" in result.stderr
    assert not any(tmp_path.iterdir())


def test_source_set_takes_the_newest_release_on_disk(tmp_path):
    from crimeoutcomes.data.manifest import save_manifest
    from crimeoutcomes.data.source_files import from_manifest

    def entry(name, kind, year, released):
        (tmp_path / name).write_bytes(b"x")
        return {"filename": name, "kind": kind, "financial_year": year, "release_date": released}

    files = [
        entry("o-old.xlsx", "outcomes", "2024/25", "2026-04-23"),
        entry("o-new.xlsx", "outcomes", "2024/25", "2026-07-23"),
        entry("o-23.xlsx", "outcomes", "2023/24", "2026-01-29"),
        entry("p-old.ods", "recorded_crime", None, "2026-04-23"),
        entry("p-new.ods", "recorded_crime", None, "2026-07-23"),
        {"filename": "gone.xlsx", "kind": "outcomes", "financial_year": "2025/26", "release_date": "2026-07-23"},
    ]
    save_manifest({"files": files}, tmp_path)
    chosen = from_manifest(tmp_path)
    assert {y: p.name for y, p in chosen.outcomes.items()} == {"2023/24": "o-23.xlsx", "2024/25": "o-new.xlsx"}
    assert chosen.recorded_crime.name == "p-new.ods" and chosen.synthetic is False


def test_diff_warns_when_the_releases_are_given_newest_first(sample_files, capsys):
    """The sample keeps two releases of its last year, dated in its manifest: given in that order,
    nothing is said; reversed, stderr says so and how to put them right (the diff still runs)."""
    import json

    earlier, current = sample_files.earlier_release, sample_files.outcomes["2024/25"]
    dated = {
        e["filename"]: e["release_date"]
        for e in json.loads((sample_files.folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    }
    assert dated[earlier.name] < dated[current.name]  # the premise: the manifest dates them in this order
    assert cli.main(["diff", str(earlier), str(current)]) == 0
    assert "wrong order" not in capsys.readouterr().err
    assert cli.main(["diff", str(current), str(earlier)]) == 0
    warned = capsys.readouterr().err
    assert "wrong order" in warned and f"released {dated[current.name]}" in warned
    assert f"diff {earlier.name} {current.name}" in warned


def test_diff_order_needs_both_dates(tmp_path):
    from crimeoutcomes.reconciliation.releases import order_warning

    # File names carry the Home Office's ddmmyy stamps where no manifest lists them.
    assert order_warning(tmp_path / "prc-outcomes-2024-25-230726.xlsx", tmp_path / "prc-outcomes-2024-25-241025.xlsx")
    assert not order_warning(
        tmp_path / "prc-outcomes-2024-25-241025.xlsx", tmp_path / "prc-outcomes-2024-25-230726.xlsx"
    )
    assert not order_warning(tmp_path / "old.xlsx", tmp_path / "prc-outcomes-2024-25-241025.xlsx")
