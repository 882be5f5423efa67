"""Issue 28, any outcome for any offence: the question as data, its checks and words, its counts
against independent pandas sums (the real 2024/25 rows and the sample), and a build of another
question into its own folder in its own words."""

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import polars as pl
import pytest
from conftest import BUILD_JOBS, PROJECT_ROOT, VINTAGES, run_all

from crimeoutcomes.build.execute import DEFAULT_QUESTION_TAG, OTHER_QUESTION_TAG, for_question
from crimeoutcomes.data.load import load_outcomes
from crimeoutcomes.data.years import year_slug
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.prose.question_words import output_slug, question_slug, question_title, words_of
from crimeoutcomes.stats import comparison
from crimeoutcomes.stats.question import CODES, GROUP, SUBGROUP, Question, resolve_question

RAPE_CHARGES = ("Rape offences", "1")
VIOLENCE_CAUTIONS = ("Violence against the person", "2 3")
YEAR = VINTAGES[-1]


@pytest.fixture(scope="module")
def sample_rows(sample_files):
    return load_outcomes([sample_files.outcomes[YEAR]])


# -- The question as data --------------------------------------------------------------------------
def test_names_are_found_in_any_case_and_spelt_as_published(sample_rows):
    assert resolve_question("rape OFFENCES", "1", sample_rows) == Question("Rape offences", ("1",), SUBGROUP)
    assert resolve_question("violence against the person", "3,2", sample_rows) == Question(
        "Violence against the person", ("2", "3"), GROUP
    )
    assert resolve_question("19C, 19D", 8, sample_rows) == Question(("19C", "19D"), ("8",), CODES)
    assert resolve_question("19C", ["1"], sample_rows).level == CODES
    assert resolve_question("Sexual offences", "8", sample_rows).is_default


def test_an_unknown_offence_names_the_parameter_and_the_nearest_names(sample_rows):
    with pytest.raises(CrimeOutcomesError, match=r"^parameter offences: 'Rap offences' .*did you mean 'Rape offences'"):
        resolve_question("Rap offences", "1", sample_rows)
    with pytest.raises(CrimeOutcomesError, match=r"--offences: .*'19X' \(did you mean .*19"):
        resolve_question(["19C", "19X"], "1", sample_rows, where=("--offences", "--outcome-types"))


@pytest.mark.parametrize("types", ["0", "23", "", "1 x"])
def test_an_unknown_outcome_type_is_refused_with_the_list(sample_rows, types):
    with pytest.raises(CrimeOutcomesError, match=r"^parameter outcome_types: .*1 Charged/Summonsed"):
        resolve_question("Rape offences", types, sample_rows)


def test_the_question_in_words_and_its_folder():
    rape = Question("Rape offences", ("1",), SUBGROUP)
    violence = Question("Violence against the person", ("2", "3"), GROUP)
    assert question_title(rape, "2024/25") == "Charges for rape offences, 2024/25"
    assert question_slug(rape) == "charges-rape-offences"
    assert output_slug(rape, "2024/25") == "charges-rape-offences/2024-25"
    assert words_of(violence).heading == "Youth and adult cautions for violence against the person"
    assert words_of(violence).offences == "offences of violence against the person"
    assert output_slug(Question(), "2024/25") == "2024-25"  # the default keeps its paths
    assert words_of().heading == "Community resolutions for sexual offences"


# -- Counts against independent sums ---------------------------------------------------------------
def _independent(
    rows: pd.DataFrame, column: str, name: str, types: list[str], value: str, force: str = "force"
) -> tuple[int, pd.Series]:
    """The national sum and the sums by force of ``value`` for the rows of ``name`` in ``column``
    with one of ``types``, in plain pandas."""
    chosen = rows[(rows[column] == name) & rows["outcome_type"].isin(types)]
    return int(chosen[value].sum()), chosen.groupby(force)[value].sum()


def _check_question(analysis, national: int, by_force: pd.Series) -> None:
    totals = analysis.totals(by=(), year=analysis.financial_year)
    assert int(totals["community_resolutions"].iloc[0]) == national
    forces = analysis.force_totals(by=(), year=analysis.financial_year).set_index("force")["community_resolutions"]
    missing = set(analysis.missing(year=analysis.financial_year)["force"].astype(str))
    known = forces.dropna()
    assert set(forces.index[forces.isna()].astype(str)) == missing  # NA exactly where a quarter is missing
    assert len(known) >= 30
    for force, count in known.items():
        assert int(count) == int(by_force.get(force, 0)), force


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("question", "column"), [(RAPE_CHARGES, "subgroup"), (VIOLENCE_CAUTIONS, "Offence Group")], ids=["rape", "violence"]
)
def test_real_counts_equal_independent_sums(real_questions, real_rows, question, column):
    analysis = real_questions[question]
    rows = real_rows.filter(~pl.col("expired")).to_pandas()
    national, by_force = _independent(rows, column, question[0], question[1].split(), "n", force="Force")
    _check_question(analysis, national, by_force)


@pytest.mark.realdata
def test_real_rape_charges_per_1000_recorded_divide_by_the_subgroups_recorded_crime(real_questions, shared_dir):
    from realdata_rebuild import real_recorded_crime

    table = real_questions[RAPE_CHARGES].compare_forces().table.set_index("force")
    recorded = real_recorded_crime(shared_dir).to_pandas()
    recorded = recorded[(recorded["FY"] == YEAR) & (recorded["Offence Subgroup"] == "Rape offences")]
    by_force = recorded.groupby("Force")["n"].sum()
    whole_year = table[table["quarters_left_out"].isna()]
    assert len(whole_year) >= 30
    for force, row in whole_year.iterrows():
        assert int(row["recorded_offences"]) == int(by_force[force]), force
        assert row["rate_per_1000_recorded"] == pytest.approx(row["community_resolutions"] / by_force[force] * 1000)
    assert table["share_of_charges_and_out_of_court"].notna().any()  # a charge is one of them


@pytest.mark.realdata
def test_real_rape_charges_for_child_victim_codes_equal_independent_sums(real_questions, real_rows):
    analysis = real_questions[RAPE_CHARGES]
    ours = analysis.code_totals(analysis.child_victim_codes, by=(), year=YEAR).set_index("offence_code")
    rows = real_rows.filter(~pl.col("expired")).to_pandas()
    child = rows[rows["code"].isin(["19D", "19E", "19G", "19H"]) & (rows["outcome_type"] == "1")]
    expected = child.groupby("code")["n"].sum()
    assert analysis.child_victim_codes == ["19D", "19E", "19G", "19H"]
    assert {code: int(ours.loc[code, "community_resolutions"]) for code in expected.index} == expected.to_dict()
    assert int(ours["community_resolutions"].sum()) == int(expected.sum()) > 0


@pytest.fixture(scope="module")
def real_questions(real_raw_folder):
    from crimeoutcomes.notebook.start import setup

    folder = str(real_raw_folder)
    return {
        q: setup(YEAR, "recorded", YEAR, folder, offences=q[0], outcome_types=q[1])
        for q in (RAPE_CHARGES, VIOLENCE_CAUTIONS)
    }


def test_sample_counts_equal_independent_sums(sample_files):
    from crimeoutcomes.notebook.start import setup

    analysis = setup(YEAR, "closed", YEAR, str(sample_files.folder), offences="Rape offences", outcome_types="1")
    rows = analysis.outcomes[~analysis.outcomes["offence_code_expired"].fillna(False).astype(bool)]
    rows = rows.astype({"offence_subgroup": str, "outcome_type": str, "force": str})
    national, by_force = _independent(rows, "offence_subgroup", "Rape offences", ["1"], "closed")
    _check_question(analysis, national, by_force)


def test_the_reconciliation_of_another_question_sets_the_figures_that_concern_it_beside_ours(sample_files):
    from crimeoutcomes.notebook.start import setup
    from crimeoutcomes.reconciliation.press_figures import figures_for_question, reconciliation

    folder = str(sample_files.folder)
    analysis = setup(YEAR, "closed", YEAR, folder, offences="Violence against the person", outcome_types="8")
    figures = reconciliation(analysis).figures  # as report 04 and summary.json have it
    assert list(figures["id"]) == ["cumbria-violence-2016-22"]  # the one figure of community resolutions for it
    # The year read is not the figure's (2016/17 to 2021/22): the same figure on the year read, to compare ours.
    held = figures_for_question(analysis.question, analysis.rows).assign(windows=YEAR)
    ours = reconciliation(analysis, held).figures["ours_closed"].iloc[0]
    rows = analysis.outcomes.astype({"offence_group": str, "outcome_type": str, "force": str, "financial_year": str})
    chosen = rows[
        (rows["offence_group"] == "Violence against the person")
        & (rows["outcome_type"] == "8")
        & (rows["force"] == "Cumbria")
        & (rows["financial_year"] == YEAR)
    ]
    assert ours == chosen["closed"].sum() > 0


def test_a_share_of_charges_and_out_of_court_only_where_the_count_is_one_of_them(sample_rows):
    def table(types):
        question = Question("Drug offences", types, GROUP)
        return comparison.force_rates(sample_rows, "closed", [YEAR], question=question)[0]

    assert table(("8",))["share_of_charges_and_out_of_court"].drop_nulls().len() > 0
    assert table(("22",))["share_of_charges_and_out_of_court"].drop_nulls().len() == 0
    assert table(("8", "14"))["share_of_charges_and_out_of_court"].drop_nulls().len() == 0


# -- A build of another question -------------------------------------------------------------------
@pytest.fixture(scope="module")
def rape_charges_build(sample_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("question-out")
    arguments = ["--source", "local", "--raw-dir", str(sample_files.folder), "--out", str(out)]
    result = run_all(
        *arguments,
        *["--offences", "Rape offences", "--outcome-types", "1", "--forces", "Kent", "--jobs", BUILD_JOBS],
        env_root=tmp_path_factory.mktemp("question-root"),
    )
    assert result.returncode == 0, result.stderr
    return out


def test_another_question_builds_into_its_own_folder(rape_charges_build):
    reports = rape_charges_build / "reports" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    figures = rape_charges_build / "figures" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    made = {p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file()}
    assert {"index.html", "summary.json", "build.json", "01-national-totals.html", "02-force-comparison.html"} <= made
    assert "forces/kent.html" in made
    assert "03-child-victim-offences.html" in made  # rape offences include the rape of a child
    assert not any(name.startswith("04-") for name in made)  # no published figure counts charges
    assert any(figures.glob("*.png"))
    assert not (rape_charges_build / "reports" / "sample" / year_slug(YEAR)).exists()  # the default's untouched
    summary = json.loads((reports / "summary.json").read_text("utf-8"))
    assert summary["question"]["offences"] == "Rape offences"
    assert summary["question"]["outcome_types"] == ["1"]
    assert summary["question"]["words"] == "Charges for rape offences"
    build = json.loads((reports / "build.json").read_text("utf-8"))
    assert build["parameters"]["offences"] == "Rape offences"
    package = json.loads((reports / "data" / "datapackage.json").read_text("utf-8"))
    assert "for the question 'Charges for rape offences': rape offences and all-offence totals" in package["title"]
    assert [r["name"] for r in package["resources"]][0].startswith("synthetic-charges-rape-offences-rows")
    rows = pd.read_csv(reports / "data" / "synthetic-charges-rape-offences-rows-2024-25.csv.gz")
    assert set(rows["offence_subgroup"]) == {"Rape offences"} and len(set(rows["outcome_type"])) > 1
    assert "Download the data" in (reports / "index.html").read_text("utf-8")


def test_another_questions_index_speaks_of_it_alone(rape_charges_build):
    reports = rape_charges_build / "reports" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    index = (reports / "index.html").read_text("utf-8")
    text = re.sub(r"<[^>]+>", " ", index)
    assert "Charges for rape offences, 2024/25" in text
    absent = re.findall(r"Not built for this question:\s+(\S+)", text)
    assert absent == ["Reconciliation"]  # report 03 is built: rape offences include the rape of a child
    assert not re.search(r"community resolution|sexual.offence", text, re.IGNORECASE)
    report = (reports / "01-national-totals.html").read_text("utf-8")
    assert "<title>SYNTHETIC DATA: National totals: charges for rape offences</title>" in report
    assert "Charges for rape offences, England and Wales" in report  # a figure's title, in its alt text
    comparison_page = (reports / "02-force-comparison.html").read_text("utf-8")
    assert "per 1,000 rape offences recorded" in comparison_page  # a table heading
    kent = (reports / "forces" / "kent.html").read_text("utf-8")
    assert "Kent: charges for rape offences" in kent
    # Its child-victim offences are in this build's report 03 (rape offences include the rape of a child).
    assert "child-victim offences" in kent and "are in report 03 (Child-victim offences) of this build" in kent
    assert (reports / "03-child-victim-offences.html").is_file()


def test_no_page_of_another_question_speaks_of_the_default_one(rape_charges_build):
    reports = rape_charges_build / "reports" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    pages = sorted(reports.rglob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "caveats.html", "01-national-totals.html", "kent.html"}
    for page in pages:  # the whole page: text, headings, alt text, table headings, caveats
        said = re.search(r"community.resolution|sexual.offence", _without_alternatives(page.read_text("utf-8")), re.I)
        assert not said, f"{page.name}: ...{said.string[max(said.start() - 80, 0) : said.end() + 40]}..."


def _without_alternatives(page: str) -> str:
    """A page without its section of the chosen outcomes beside their alternatives, which names
    them (community resolutions among them, for charges) on purpose."""
    return re.sub(r'<h2 id="The-chosen-outcomes-beside-their-alternatives".*?(?=<h2)', "", page, flags=re.S)


def test_another_question_sets_its_outcomes_beside_their_alternatives(rape_charges_build):
    reports = rape_charges_build / "reports" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    for page in ("01-national-totals.html", "forces/kent.html"):
        html = (reports / page).read_text("utf-8")
        assert re.search(r"<th[^>]*>\s*adult cautions \(3\)", html), page  # the table, headed by outcome names
        text = re.sub(r"<[^>]+>", " ", html)
        section = text[text.index("The chosen outcomes beside their alternatives") :]
        assert "where one records charges (1), another may record youth cautions (2), adult cautions (3)" in section
        assert "outcome 22" not in _without_alternatives(text).replace("outcome 22)", "")  # no 8-beside-22 left


def test_another_questions_child_victim_report_counts_its_outcomes(rape_charges_build, sample_rows):
    reports = rape_charges_build / "reports" / "sample" / "charges-rape-offences" / year_slug(YEAR)
    page = (reports / "03-child-victim-offences.html").read_text("utf-8")
    assert "<title>SYNTHETIC DATA: Child-victim offences: charges for rape offences</title>" in page
    assert "Charges for child-victim offences by force, 2024/25" in page  # a figure's title, in its alt text
    child = json.loads((reports / "summary.json").read_text("utf-8"))["child_victim_offences"]
    rows = sample_rows.filter(~pl.col("offence_code_expired").fill_null(False)).to_pandas()
    chosen = rows[rows["offence_code"].isin(["19D", "19E", "19G", "19H"]) & (rows["outcome_type"] == "1")]
    assert child["codes"] == child["child_rape_codes"] == ["19D", "19E", "19G", "19H"]
    assert (
        child["community_resolutions_by_code"]
        == chosen.groupby("offence_code", observed=True)["closed"].sum().to_dict()
    )
    assert child["community_resolutions"] == int(chosen["closed"].sum()) > 0


def _tagged(tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("default words", metadata={"tags": [DEFAULT_QUESTION_TAG, "keep"]}),
        nbformat.v4.new_markdown_cell("any question's words", metadata={"tags": [OTHER_QUESTION_TAG]}),
    ]
    path = tmp_path / "tagged.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_question_keeps_its_own_cells_and_no_question_tag(tmp_path):
    path = _tagged(tmp_path)
    default, kept = for_question(path, default=True)
    assert [c.source for c in default.cells] == ["# Title", "x = 1", "default words"] and kept == [0, 1, 2]
    assert default.cells[2].metadata["tags"] == ["keep"] and "tags" not in default.cells[0].metadata
    other, kept = for_question(path, default=False)
    assert [c.source for c in other.cells] == ["# Title", "x = 1", "any question's words"] and kept == [0, 1, 3]
    assert "tags" not in other.cells[2].metadata
    untagged = tmp_path / "untagged.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")]), untagged)
    assert for_question(untagged, default=True) == (None, None)  # run from its file, as it is


def test_the_notebooks_tag_each_default_cell_with_a_variant_or_its_section():
    for path in sorted((PROJECT_ROOT / "notebooks").glob("0[1-5]_*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        tagged = [c for c in cells if {DEFAULT_QUESTION_TAG, OTHER_QUESTION_TAG} & set(c.metadata.get("tags", []))]
        assert tagged, path.name
        for cell in cells:
            if OTHER_QUESTION_TAG in cell.metadata.get("tags", []) and cell.cell_type == "markdown":
                assert not re.search(r"community.resolution|sexual.offence", cell.source, re.I), cell.source[:60]


def test_run_all_names_the_nearest_offence_names(sample_files, tmp_path):
    arguments = ["--source", "local", "--raw-dir", str(sample_files.folder), "--out", str(tmp_path / "out")]
    result = run_all(*arguments, "--offences", "Rap offences", env_root=tmp_path / "root")
    assert result.returncode == 2
    assert "--offences: 'Rap offences'" in result.stderr and "'Rape offences'" in result.stderr
    assert not (tmp_path / "out" / "reports").exists()
    refused = run_all(*arguments, "--outcome-types", "0", env_root=tmp_path / "root")
    assert refused.returncode == 2 and "--outcome-types" in refused.stderr


def test_the_site_lists_every_question_built(rape_charges_build):
    from crimeoutcomes.build.site import build_site

    site = build_site(rape_charges_build)
    index = (site / "index.html").read_text("utf-8")
    assert "Other questions of the same data" in index and "Charges for rape offences" in index
    assert (site / "sample" / "charges-rape-offences" / year_slug(YEAR) / "index.html").is_file()
