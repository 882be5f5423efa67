"""The force pages on the session's sample build: one page per force, linked from the index and from
report 02, headline numbers against independent sums of the generator's rows (plain pandas), and
every caveat of the reference file on exactly the pages its scope names."""

import csv
import re

import pandas as pd
import pytest
from conftest import SESSION_FORCES, VINTAGES, sample_truth

from crimeoutcomes.data import codes
from crimeoutcomes.synthetic import sample

YEAR = VINTAGES[-1]


def slug(force: str) -> str:
    # Written out here rather than imported: a page named differently from the link fails both.
    return re.sub(r"[^a-z0-9]+", "-", force.lower()).strip("-")


def table(built, force: str, name: str) -> pd.DataFrame:
    frame = pd.read_csv(built["figures"] / "forces" / slug(force) / "tables" / f"{name}.csv", dtype={"data": str})
    assert (frame["data"] == "SYNTHETIC DATA").all()  # the mark travels with the numbers
    return frame.drop(columns="data")


@pytest.fixture(scope="module")
def rows():
    """The generator's 2024/25 rows, sexual offences, closed basis: one row per force, quarter, code, type."""
    data = sample_truth(YEAR).to_pandas()
    data = data[(data["offence_group"] == "Sexual offences") & (data["outcome_type"].astype(str) != "0")]
    data = data[~(data["offence_code_expired"].fillna(False).astype(bool) & data["closed"].isna())]
    return data.assign(outcome_type=data["outcome_type"].astype(str), count=data["closed"].astype(float))


@pytest.fixture(scope="module")
def recorded():
    crime = sample.recorded_crime_truth([YEAR]).to_pandas()
    return crime[crime["offence_group"] == "Sexual offences"]


def test_every_force_built_has_a_page_linked_from_the_index_and_report_02(built):
    """The session build makes the pages of SESSION_FORCES (all 44: the real-data build): each is
    linked from the index and report 02, and no other force's page is linked."""
    index = (built["reports"] / "index.html").read_text(encoding="utf-8")
    comparison = (built["reports"] / "02-force-comparison.html").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (built["reports"] / "forces").glob("*.html"))
    assert pages == sorted(f"{slug(f)}.html" for f in SESSION_FORCES)
    for force in set(codes.forces()) - set(SESSION_FORCES):
        href = f'href="forces/{slug(force)}.html"'
        assert href not in index and href not in comparison, force
    for force in SESSION_FORCES:
        href = f'href="forces/{slug(force)}.html"'
        assert href in index and href in comparison, force
        page = (built["reports"] / "forces" / f"{slug(force)}.html").read_text(encoding="utf-8")
        name = " ".join(reversed(force.split(", ")))  # "London, City of" is "City of London" in a sentence
        assert f"<title>SYNTHETIC DATA: {name}: community resolutions" in page
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    figures = list((built["figures"] / "forces").rglob("*.png"))
    assert figures and all(p.parent.parent.name == "forces" for p in figures)  # one folder per force


def test_headline_numbers_equal_independent_sums_of_the_sample_rows(built, rows, recorded):
    collapsed = sample._collapsed(YEAR)
    for force in SESSION_FORCES:
        mine = rows[rows["force"] == force]
        gone = set(collapsed.get(force, [])) | set(mine.loc[mine["count"].isna(), "quarter"])
        usable = mine[~mine["quarter"].isin(gone)]
        year = table(built, force, "by-year").set_index("financial_year").loc[YEAR]
        eight_22 = table(built, force, "outcome-8-and-22").set_index("financial_year").loc[YEAR]
        page = (built["reports"] / "forces" / f"{slug(force)}.html").read_text(encoding="utf-8")
        count = usable.loc[usable["outcome_type"] == "8", "count"].sum()
        if gone:  # a quarter left out: no count for the year (never a part-year count, never 0)
            assert pd.isna(year["community_resolutions"]), force
            assert pd.isna(eight_22["outcome_8"]) and pd.isna(eight_22["outcome_22"]), force
            assert "closed <strong>" not in page, force
            words = "<strong>no figure is given</strong>" if usable.empty else "is <strong>not given</strong>"
            assert words in page, force
        else:
            assert year["community_resolutions"] == count, force
            for kind in ("8", "22"):
                assert eight_22[f"outcome_{kind}"] == mine.loc[mine["outcome_type"] == kind, "count"].sum(), force
            assert f"closed <strong>{int(count):,}</strong> sexual offences" in page, force
        if usable.empty:
            assert pd.isna(year["share_of_assigned"]) and pd.isna(year["rate_per_1000_recorded"]), force
            continue
        offences = recorded[(recorded["force"] == force) & ~recorded["quarter"].isin(gone)]
        assert year["share_of_assigned"] == pytest.approx(count / usable["count"].sum()), force
        assert year["rate_per_1000_recorded"] == pytest.approx(count / offences["offences"].sum() * 1000), force


def _caveats_by_force() -> dict[str, set[str]]:
    """Caveat numbers whose scope takes in each force in the years read, read straight from the file."""
    from crimeoutcomes.config import REFERENCE_DIR

    read = {int(year[:4]) for year in VINTAGES}  # the sample's years are not contiguous
    first, last = min(read), max(read)
    wanted: dict[str, set[str]] = {f: set() for f in codes.forces()}
    with open(REFERENCE_DIR / "caveats.csv", newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            years = set()
            for item in filter(None, (i.strip() for i in row["financial_years"].split(";"))):
                start, dash, end = item.partition("-")
                low = int(start[:4]) if start else first
                high = (int(end[:4]) if end else last) if dash else low
                years |= set(range(low, high + 1))
            if row["financial_years"].strip() and not years & read:
                continue
            named = {f.strip() for f in row["forces"].split(";") if f.strip()}
            for force in named or codes.forces():
                wanted[force].add(str(number))
    return wanted


def test_every_caveat_is_on_the_pages_its_scope_names_and_no_other(built):
    wanted = _caveats_by_force()
    assert len({frozenset(wanted[f]) for f in SESSION_FORCES}) > 1  # the pages differ: some caveat names a force
    for force in SESSION_FORCES:
        numbers = wanted[force]
        page = (built["reports"] / "forces" / f"{slug(force)}.html").read_text(encoding="utf-8")
        listed = set(re.findall(r'<li id="caveat-(\d+)"', page))
        assert listed == numbers, force


def test_child_victim_and_offence_mix_tables_equal_independent_sums_of_the_sample_rows(built, rows):
    """Each page's child-victim row for the year and its offence mix, against plain-pandas sums of
    the generator's rows: counts, the force's shares, and the national share of each code."""
    collapsed = sample._collapsed(YEAR)
    child_codes = {o.code for o in codes.child_victim_offences()}
    national = rows.groupby("offence_code")["count"].sum()
    checked = 0
    for force in SESSION_FORCES:
        mine = rows[rows["force"] == force]
        gone = set(collapsed.get(force, [])) | set(mine.loc[mine["count"].isna(), "quarter"])
        child = table(built, force, "child-victim").set_index("financial_year").loc[YEAR]
        mix_file = built["figures"] / "forces" / slug(force) / "tables" / "offence-mix.csv"
        if gone:  # a part year: no count, and no breakdown by code
            assert pd.isna(child["community_resolutions"]) and pd.isna(child["assigned_outcomes"]), force
            assert not mix_file.is_file(), force
            continue
        of_children = mine[mine["offence_code"].isin(child_codes)]
        assert child["community_resolutions"] == of_children.loc[of_children["outcome_type"] == "8", "count"].sum()
        assert child["assigned_outcomes"] == of_children["count"].sum(), force
        mix = table(built, force, "offence-mix").set_index("offence_code")
        by_code = mine.groupby("offence_code")["count"].sum()
        by_code = by_code[by_code > 0]
        assert sorted(mix.index) == sorted(by_code.index), force
        assert (mix["assigned_outcomes"] == by_code.reindex(mix.index)).all(), force
        eights = mine[mine["outcome_type"] == "8"].groupby("offence_code")["count"].sum()
        assert (mix["community_resolutions"] == eights.reindex(mix.index).fillna(0)).all(), force
        assert mix["share_of_force_outcomes"].to_numpy() == pytest.approx((by_code / by_code.sum())[mix.index])
        expected = (national / national.sum())[mix.index].to_numpy()
        assert mix["share_of_national_outcomes"].to_numpy() == pytest.approx(expected), force
        assert (mix["child_victim"] == mix.index.isin(child_codes)).all(), force
        checked += 1
    assert checked >= len(SESSION_FORCES) - 1  # all but Devon and Cornwall have a full year in the sample
