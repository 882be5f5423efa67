"""One build, one truth: the published outputs of a year never disagree with each other.

Each of the seven cases of the issue is a test here: --only with other parameters, a notebook run
outside run_all, collapsed data shown as a count, tables that round, a misspelled parameter, the
kernel and JupyterLab as root, SYNTHETIC where numbers travel alone."""

import csv
import functools
import hashlib
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import CHANGING_YEARS, NOTEBOOK_HTML, PROJECT_ROOT, run_all

from crimeoutcomes.build import record as build_record
from crimeoutcomes.data.years import year_slug
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook.parameters import check_injected_parameters
from crimeoutcomes.synthetic import sample

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

YEAR = CHANGING_YEARS[-1]  # Greater Manchester's outcomes collapse in Q2-Q4 of the sample's 2019/20
SLUG = year_slug(YEAR)


def _tree(*folders: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def build_2019(changing_build):
    """The changing build (conftest): 2019/20, from 2018/19, with Greater Manchester's page."""
    assert changing_build.reports.name == SLUG
    return {key: getattr(changing_build, key) for key in ("out", "root", "reports", "figures")}


def _summary(build) -> dict:
    return json.loads((build["reports"] / "summary.json").read_text(encoding="utf-8"))


# 1. --only never mixes two builds ---------------------------------------------------------------


def test_only_with_another_basis_is_refused_and_nothing_changes(build_2019, two_years):
    before = _tree(build_2019["reports"], build_2019["figures"])
    result = run_all(
        "--source",
        "local",
        "--raw-dir",
        str(two_years.folder),
        "--out",
        str(build_2019["out"]),
        "--year",
        YEAR,
        "--first-year",
        "2018/19",
        "--basis",
        "recorded",
        "--only",
        "02",
        env_root=build_2019["root"],
    )
    assert result.returncode == 2
    assert "count_basis was 'closed', this run asks for 'recorded'" in result.stderr
    assert f"python run_all.py --year {YEAR} --basis recorded" in result.stderr  # how to rebuild
    assert _tree(build_2019["reports"], build_2019["figures"]) == before


def test_only_with_another_first_year_is_refused(build_2019, two_years):
    result = run_all(
        "--source",
        "local",
        "--raw-dir",
        str(two_years.folder),
        "--out",
        str(build_2019["out"]),
        "--year",
        YEAR,
        "--first-year",
        YEAR,
        "--only",
        "01",
        env_root=build_2019["root"],
    )
    assert result.returncode == 2 and "first_year was '2018/19'" in result.stderr


def test_differences_name_changed_sources_package_and_notebooks(tmp_path):
    notebooks = [tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"]
    for path in notebooks:
        path.write_text("{}", encoding="utf-8")
    params = {"financial_year": "2024/25", "count_basis": "closed", "first_year": "2014/15", "pool_years": 1}
    built = build_record.new_record(
        parameters=params, sources=[{"file": "a.xlsx", "sha256": "1" * 64}], package="p", synthetic=True
    )
    build_record.add_notebook(built, notebooks[0], params, {"01-a.html": "x"})
    build_record.add_notebook(built, notebooks[1], params, {"02-b.html": "y"})
    same = build_record.new_record(parameters=params, sources=built["sources"], package="p", synthetic=True)
    assert build_record.differences(built, same, ["02_b.ipynb"], notebooks) == []
    notebooks[0].write_text('{"changed": 1}', encoding="utf-8")
    other = build_record.new_record(
        parameters={**params, "pool_years": 3},
        sources=[{"file": "a.xlsx", "sha256": "2" * 64}],
        package="q",
        synthetic=True,
    )
    found = " | ".join(build_record.differences(built, other, ["02_b.ipynb"], notebooks))
    assert "pool_years was 1, this run asks for 3" in found
    assert "source files differ" in found and "package has changed" in found
    assert "01_a.ipynb has changed" in found and "02_b" not in found  # the one re-run may change
    assert build_record.differences(None, same, [], notebooks) == ["it has no build record (build.json)"]
    with pytest.raises(CrimeOutcomesError, match="both write 01-a.html"):
        build_record.add_notebook(built, notebooks[1], params, {"01-a.html": "z"})


# Agreement inside one build ---------------------------------------------------------------------


def test_every_output_of_the_build_agrees_with_its_record_and_basis(build_2019):
    reports, figures = build_2019["reports"], build_2019["figures"]
    record = build_record.read_record(reports)
    summary = _summary(build_2019)
    assert record["parameters"] == {
        "financial_year": YEAR,
        "count_basis": "closed",
        "first_year": "2018/19",
        "pool_years": 1,
    }
    assert summary["count_basis"] == record["parameters"]["count_basis"] and summary["financial_year"] == YEAR
    assert build_record.check_files(reports, figures, record) == []
    on_disk = {p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file()} - {"build.json"}
    on_disk |= {"figures/" + p.relative_to(figures).as_posix() for p in figures.rglob("*") if p.is_file()}
    assert on_disk == set(record["outputs"])  # nothing published that the record does not account for
    assert {s["sha256"] for s in record["sources"]} == {s["sha256"] for s in summary["sources"]}
    for name in NOTEBOOK_HTML + ["index.html"]:
        page = (reports / name).read_text(encoding="utf-8")
        assert "Basis: <strong>closed</strong>" in page or "Counting basis: <strong>closed</strong>" in page, name
        assert "Basis: <strong>recorded</strong>" not in page


def test_the_same_number_everywhere_it_is_published(build_2019):
    reports, figures = build_2019["reports"], build_2019["figures"]
    summary = _summary(build_2019)
    count = summary["sexual_offences"]["community_resolutions"]
    by_year = pd.read_csv(figures / "sexual_cr_by_year.csv").set_index("financial_year")
    assert by_year.loc[YEAR, "closed"] == count
    assert summary["sexual_offences_by_year"][YEAR]["community_resolutions"] == count
    assert f"In <strong>{YEAR}</strong>, {count:,} sexual offences" in (reports / "01-national-totals.html").read_text()
    assert f"{count:,} sexual offences in {YEAR}" in (reports / "index.html").read_text()
    counts = pd.read_csv(figures / "force_cr_counts.csv").set_index("force")["community_resolutions"]
    for force, value in summary["community_resolutions_by_force"].items():
        assert pd.isna(counts[force]) if value is None else counts[force] == value, force


# Re-running one notebook (--only 03) keeps the build whole: test_interrupted_runs' re-run, on
# this same build, checks it byte for byte.


# 2. Only run_all publishes ----------------------------------------------------------------------


def test_a_notebook_run_by_papermill_writes_to_scratch_and_says_so(build_2019, two_years, tmp_path, monkeypatch):
    import papermill

    root = build_2019["out"]  # a published build: a direct run into its folder must not touch it
    before = _tree(build_2019["reports"], build_2019["figures"])
    monkeypatch.chdir(PROJECT_ROOT)
    output = tmp_path / "direct.ipynb"
    papermill.execute_notebook(
        str(PROJECT_ROOT / "notebooks" / "01_national_totals.ipynb"),
        str(output),
        parameters={
            "count_basis": "recorded",
            "first_year": CHANGING_YEARS[0],
            "data_folder": str(two_years.folder),
            "output_root": str(root),
        },
        progress_bar=False,
    )
    assert _tree(build_2019["reports"], build_2019["figures"]) == before
    scratch = root / "scratch" / "sample" / SLUG
    assert (scratch / "sexual_cr_by_year.csv").is_file() and (scratch / "tables" / "changes.csv").is_file()
    assert "Not a published build." in output.read_text(encoding="utf-8")


# 3. Collapsed is like missing -------------------------------------------------------------------


def test_collapsed_force_data_is_never_a_count(built):
    summary = json.loads((built["reports"] / "summary.json").read_text())
    planted = sample._collapsed("2024/25")  # the generator's own truth: Devon and Cornwall, all year
    assert planted == {"Devon and Cornwall": [1, 2, 3, 4]}
    assert summary["community_resolutions_by_force"]["Devon and Cornwall"] is None
    assert summary["forces_missing"]["Devon and Cornwall"]["quarters"] == "1, 2, 3, 4"
    assert "collapsed" in summary["forces_missing"]["Devon and Cornwall"]["marker"]
    assert summary["sexual_offences"]["force_quarters_missing"] == 4
    counts = pd.read_csv(built["figures"] / "force_cr_counts.csv").set_index("force")
    assert pd.isna(counts.loc["Devon and Cornwall", "community_resolutions"])
    heat = pd.read_csv(built["figures"] / "force_cr_by_year.csv").set_index(["force", "financial_year"])
    assert pd.isna(heat.loc[("Devon and Cornwall", "2024/25"), "community_resolutions"])
    assert pd.isna(heat.loc[("Devon and Cornwall", "2022/23"), "community_resolutions"])  # Q3-Q4 collapsed
    assert not pd.isna(heat.loc[("Devon and Cornwall", "2021/22"), "community_resolutions"])


def test_a_year_with_collapsed_data_is_not_compared_as_like_for_like(build_2019):
    summary = _summary(build_2019)
    assert summary["sexual_offences"]["force_quarters_missing"] == len(sample._collapsed(YEAR)["Greater Manchester"])
    page = (build_2019["reports"] / "index.html").read_text(encoding="utf-8")
    assert "not like for like" in page and "more than the" not in page and "fewer than the" not in page
    assert "Greater Manchester: quarter(s) 2, 3, 4 missing or collapsed" in page
    national = (build_2019["reports"] / "01-national-totals.html").read_text(encoding="utf-8")
    assert "force-quarters of data are missing or collapsed" in national


# 4. Every table column formatted by what it is ---------------------------------------------------


class _Tables(HTMLParser):
    """Each report table: its CSV name, its column headings (the last heading row; a row of spanner
    headings above it is kept apart) and cells as shown, and the CSV columns each cell names
    (``data-columns``: a merged interval names its two)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "report-table" in (attrs.get("class") or ""):
            self.tables.append({"csv": attrs["data-csv"], "rows": [], "columns": [], "spanners": []})
        elif self.tables and tag == "tr":
            table = self.tables[-1]
            if "spanners" in (attrs.get("class") or ""):
                table["rows"], table["columns"] = table["spanners"], []  # collected aside, not as the heading
            table["rows"].append([])
            table["columns"].append([])
        elif self.tables and tag in ("td", "th"):
            self._cell = ""
            self.tables[-1]["columns"][-1].append((attrs.get("data-columns") or "").split())

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1]["rows"][-1].append(self._cell)
            self._cell = None
        elif tag == "tr" and self.tables and self.tables[-1]["rows"] is self.tables[-1]["spanners"]:
            self.tables[-1]["rows"], self.tables[-1]["columns"] = [], []  # the heading row and the body follow


def _cells_by_column(shown_row, named, columns):
    """Pair each shown cell with the CSV column(s) it holds, in the CSV's order: a cell that names
    its columns must name exactly the next ones; a merged interval 'A to B' is split in two."""
    pairs, at = [], 0
    for shown, names in zip(shown_row, named):
        if not names:
            pairs.append((shown, columns[at]))
            at += 1
            continue
        assert list(names) == list(columns[at : at + len(names)]), (names, columns[at : at + len(names)])
        parts = shown.split(" to ") if shown != "n/a" else ["n/a"] * len(names)
        assert len(parts) == len(names), (shown, names)
        pairs += list(zip(parts, names))
        at += len(names)
    assert at == len(columns), f"cells hold {at} of {len(columns)} CSV columns"
    return pairs


@functools.cache
def _shown_names() -> dict[str, str]:
    """A force's Home Office name (the CSV's) -> the name a table cell shows, as forces.csv gives them."""
    with open(PROJECT_ROOT / "src" / "crimeoutcomes" / "reference" / "forces.csv", newline="", encoding="utf-8") as f:
        return {row["force"]: row["display_name"] for row in csv.DictReader(f)}


def _matches(shown: str, value) -> bool:
    """Does the cell as shown say the CSV's value (text as read; a force by its displayed name), to the
    precision shown?"""
    if (isinstance(value, str) and shown in (value, _shown_names().get(value))) or (shown == "" and pd.isna(value)):
        return True
    if shown in ("yes", "no"):
        return (value in ("True", "true")) if shown == "yes" else (pd.isna(value) or value in ("False", "false"))
    if shown == "n/a" or pd.isna(value):
        return shown == "n/a" and pd.isna(value)
    number = re.fullmatch(r"([+-]?)([\d,]+(?:\.\d+)?)(%?)", shown)
    try:
        exact = float(value)
    except ValueError:
        return shown == value
    scientific = re.fullmatch(r"(\d(?:\.(\d+))?)e([+-]\d+)", shown)  # a small p-value: 6.1e-116
    if scientific:
        unit = 10 ** (int(scientific.group(3)) - len(scientific.group(2) or ""))
        return abs(exact - float(shown)) <= 0.5 * unit * (1 + 1e-9)
    if not number:
        return False
    digits = number.group(2).replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    if number.group(3) and not number.group(1):  # a share, shown as a percentage
        exact *= 100
    return abs(exact - float(number.group(1) + digits)) <= 0.5 * 10**-decimals + 1e-9


def test_every_number_in_every_report_table_is_its_csv_value_to_the_shown_precision(built):
    checked = 0
    # Two force pages of the 44 (one notebook): a big force, and one whose every 2024/25 quarter collapsed.
    for name in [*NOTEBOOK_HTML, "forces/metropolitan-police.html", "forces/devon-and-cornwall.html"]:
        parser = _Tables()
        parser.feed((built["reports"] / name).read_text(encoding="utf-8"))
        for table in parser.tables:
            data = pd.read_csv(built["figures"] / table["csv"], dtype=str, keep_default_na=False, na_values=[""]).drop(
                columns="data"
            )
            head, *rows = table["rows"]
            merged = sum(len(names) - 1 for names in table["columns"][0] if names)
            assert len(head) + merged == len(data.columns) and len(rows) == len(data), table["csv"]
            for heading in head:
                assert "_" not in heading and " 99 8" not in heading, (table["csv"], heading)
            for shown_row, named, (_, row) in zip(rows, table["columns"][1:], data.iterrows()):
                for shown, column in _cells_by_column(shown_row, named, list(data.columns)):
                    assert shown not in ("True", "False"), (table["csv"], column)
                    assert _matches(shown, row[column]), (table["csv"], column, shown, row[column])
                    checked += 1
    assert checked > 500


def test_ratios_and_limits_keep_their_decimals(built):
    parser = _Tables()
    parser.feed((built["reports"] / "02-force-comparison.html").read_text(encoding="utf-8"))
    mix = next(t for t in parser.tables if t["csv"] == "tables/offence-mix.csv")
    head = mix["rows"][0]
    assert head[3:6] == ["observed / expected", "lower 99.8% limit", "upper 99.8% limit"]
    for row in mix["rows"][1:]:
        assert all(re.fullmatch(r"\d+\.\d\d|n/a", cell) for cell in row[3:6]), row  # limits never below 0
        assert row[6] in ("high", "low", "no") and row[-1] in ("high", "low", "no")


# 5. A misspelled parameter fails, naming the nearest ---------------------------------------------


def test_a_misspelled_parameter_fails_in_a_direct_papermill_run(sample_files, tmp_path, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    monkeypatch.chdir(PROJECT_ROOT)
    with pytest.raises(PapermillExecutionError, match="did you mean 'financial_year'"):
        papermill.execute_notebook(
            str(PROJECT_ROOT / "notebooks" / "03_child_victim_offences.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"financal_year": "2019/20"},
            progress_bar=False,
        )
    assert not (tmp_path / "project" / "scratch").exists()  # it stopped before writing anything


def test_injected_parameters_are_checked_against_the_declared_ones():
    declared = '# Parameters (run_all.py sets them)\nfinancial_year = "latest"\ncount_basis = "closed"\n'
    check_injected_parameters(["", declared, '# Parameters\nfinancial_year = "2019/20"\n', "a = setup()"])
    check_injected_parameters(["", declared, "a = 1"])  # JupyterLab: nothing injected, nothing to check
    with pytest.raises(CrimeOutcomesError, match="'count_bases' .* did you mean 'count_basis'"):
        check_injected_parameters(["", declared, '# Parameters\ncount_bases = "recorded"\n'])


# 6. The kernel, and JupyterLab as root -----------------------------------------------------------


def test_set_up_registers_the_kernel_the_notebooks_name():
    dry_run = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    install = next(i for i, line in enumerate(dry_run) if "pip install" in line and "-e" in line)
    assert any("-m crimeoutcomes kernel" in line for line in dry_run[install:])
    for name in NOTEBOOK_HTML:
        notebook = json.loads((PROJECT_ROOT / "notebooks" / f"{name[:-5].replace('-', '_')}.ipynb").read_text())
        assert notebook["metadata"]["kernelspec"]["name"] == "crimeoutcomes"
    from jupyter_client.kernelspec import KernelSpecManager

    subprocess.run([os.sys.executable, "-m", "crimeoutcomes", "kernel"], check=True, capture_output=True)
    spec = KernelSpecManager().get_kernel_spec("crimeoutcomes")
    assert Path(spec.argv[0]).resolve() == Path(os.sys.executable).resolve()


def test_make_lab_works_as_root():
    dry_run = subprocess.run(["make", "-n", "lab"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    lab = next(line for line in dry_run.splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in lab) == (os.geteuid() == 0)


# 7. SYNTHETIC wherever a number can travel alone -------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOK_HTML)
def test_synthetic_reports_say_so_in_title_and_heading(built, name):
    page = (built["reports"] / name).read_text(encoding="utf-8")
    assert re.search(r"<title>SYNTHETIC DATA: [^<]+</title>", page)
    assert re.search(r"<h1[^>]*>SYNTHETIC DATA: ", page)


def test_every_synthetic_csv_carries_the_mark(built):
    files = sorted(built["figures"].rglob("*.csv"))
    assert len(files) > 20 and any(p.parent.name == "tables" for p in files)
    for path in files:
        data = pd.read_csv(path, dtype=str)
        assert data.columns[0] == "data" and (data["data"] == "SYNTHETIC DATA").all(), path


def test_a_force_page_gives_no_count_for_a_year_with_collapsed_quarters(build_2019):
    """Greater Manchester's outcomes collapse in Q2-Q4 of 2019/20: its page gives the share on the
    quarter left in, and no count (a part-year count would read as a fall)."""
    page = (build_2019["reports"] / "forces" / "greater-manchester.html").read_text(encoding="utf-8")
    assert "count of community resolutions for sexual offences is <strong>not given</strong>" in page
    year = pd.read_csv(build_2019["figures"] / "forces" / "greater-manchester" / "tables" / "by-year.csv")
    row = year.set_index("financial_year").loc[YEAR]
    assert pd.isna(row["community_resolutions"]) and 0 < row["share_of_assigned"] < 1
    assert [p.name for p in (build_2019["reports"] / "forces").glob("*.html")] == ["greater-manchester.html"]
    assert 'href="forces/greater-manchester.html"' in (build_2019["reports"] / "index.html").read_text(encoding="utf-8")
