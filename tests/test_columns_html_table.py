"""Every table column formatted by its declared kind (columns.py), and the HTML table around it
(html_table.py): values checked against hand-written strings."""

import math

import pandas as pd
import polars as pl
import pytest

from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook.columns import KINDS, MISSING, _fixed, formatted, heading, kind_of
from crimeoutcomes.notebook.tables import render_table, scrolling


@pytest.mark.parametrize(
    "kind,value,shown",
    [
        ("count", 12345, "12,345"),
        ("count", -150, "-150"),
        ("expected", 16.44, "16.4"),
        ("number", 912, "912"),
        ("number", 899.5, "899.50"),
        ("number", 1234.0, "1,234"),
        ("rate", 4.299, "4.30"),
        ("share", 0.004929, "0.49%"),
        ("ratio", 1.8349, "1.83"),
        ("ratio", 2.0, "2.00"),  # never rounded to a whole number
        ("limit", 0.456, "0.46"),
        ("percent_change", 12.34, "+12.3%"),
        ("percent_change", -5.0, "-5.0%"),
        ("p_value", 0.0123, "0.012"),
        ("p_value", 0.001, "0.001"),
        ("p_value", 0.000999, "0.001"),
        ("p_value", 6.1e-116, "6.1e-116"),
        ("flag", True, "yes"),
        ("flag", False, "no"),
        ("flag", "high", "high"),
        ("flag", "", "no"),
        ("year", "2024/25", "2024/25"),
        ("text", "Kent", "Kent"),
    ],
)
def test_each_kind_formats_as_published(kind, value, shown):
    assert formatted(value, KINDS[kind]) == shown


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_is_na_never_a_number(value):
    for kind in KINDS.values():
        # a missing number says n/a; a missing note (no quarter left out, no reason) is left blank
        assert formatted(value, kind) == (MISSING if kind.numeric else "") and MISSING == "n/a"


def test_kinds_are_declared_and_numbers_without_one_are_refused():
    assert kind_of("lower_99_8", True).name == "limit" and kind_of("ratio", True).name == "ratio"
    assert kind_of("share_of_assigned", True).name == "share" and kind_of("share_of_assigned", True).numeric
    assert kind_of("custom", True, {"custom": "rate"}).name == "rate"  # the caller's declaration first
    assert kind_of("ratio", True, {"ratio": "count"}).name == "count"
    assert kind_of("published", False).name == "text"  # a figure written as published, '>1,500'
    assert kind_of("anything_textual", False).name == "text"
    with pytest.raises(
        CrimeOutcomesError,
        match=r"'mystery' holds numbers but its kind is not declared: add it to crimeoutcomes/notebook/columns\.py "
        r"COLUMNS \(kinds: count, expected, number, rate, share, ratio, limit, percent_change, p_value, flag, year, "
        r"text, force, value, date\)",
    ):
        kind_of("mystery", True)
    with pytest.raises(CrimeOutcomesError, match="unknown kind 'bogus'"):
        kind_of("x", True, {"x": "bogus"})


def test_headings_in_words():
    assert heading("lower_99_8") == "lower 99.8% limit"
    assert heading("outside_adjusted_99_8") == "outside 99.8% limits allowing for over-dispersion"
    assert heading("not_declared_99_8") == "not declared 99.8%"
    assert heading("force", {"force": "police force"}) == "police force"


def test_html_table_formats_each_cell_by_its_kind():
    frame = pd.DataFrame(
        {
            "force": ["Kent", "Essex"],
            "community_resolutions": [1234, None],
            "share_of_assigned": [0.0123, math.nan],
            "ratio": [2.0, 0.5],
            "outside_99_8": ["high", ""],
        }
    )
    html = render_table(frame, "t1")
    assert html.startswith('<table class="report-table" id="table-t1" data-csv="tables/t1.csv"><thead><tr>')
    assert (
        '<th scope="col" class="text">force</th><th scope="col" class="number">community resolutions</th>'
        '<th scope="col" class="number">share of assigned outcomes</th>'
        '<th scope="col" class="number">observed / expected</th>'
        '<th scope="col" class="text">outside 99.8% limits</th>'
    ) in html
    rows = html.split("<tbody>")[1]
    assert rows == (
        '<tr><td class="text">Kent</td><td class="number">1,234</td><td class="number">1.23%</td>'
        '<td class="number">2.00</td><td class="text">high</td></tr>'
        '<tr><td class="text">Essex</td><td class="number">n/a</td><td class="number">n/a</td>'
        '<td class="number">0.50</td><td class="text">no</td></tr></tbody></table>'
    )


def test_html_table_escapes_text_and_reads_polars():
    frame = pl.DataFrame(
        {"force": ["A & <B>"], "community_resolutions": [7]},
        schema={"force": pl.String, "community_resolutions": pl.Int64},
    )
    html = render_table(frame, "x<y", headings={"force": 'police "force"'})
    assert 'id="table-x&lt;y"' in html and "A &amp; &lt;B&gt;" in html and "police &quot;force&quot;" in html
    assert '<td class="number">7</td>' in html
    # a column of numbers not declared takes its kind from its dtype (any frame can be shown), never rounded away
    assert '<td class="number">1.50</td>' in render_table(pd.DataFrame({"n_things": [1.5]}), "undeclared")
    assert '<td class="number">0.00340</td>' in render_table(pd.DataFrame({"n_things": [0.0034]}), "small")
    # booleans are flags, not numbers
    assert '<td class="text">yes</td>' in render_table(pd.DataFrame({"fits": [True]}), "b")


def test_a_value_and_its_interval_share_a_spanner_and_the_interval_is_one_cell():
    frame = pd.DataFrame(
        {
            "force": ["Kent", "Essex"],
            "community_resolutions": [12, None],
            "cr_low": [6.2, math.nan],
            "cr_high": [20.96, math.nan],
            "share": [0.25, 0.5],
            "share_low": [0.1, math.nan],
            "share_high": [0.4, 0.75],
            "quarters_left_out": ["2024/25 Q1 (data missing); 2024/25 Q2 (data missing)", ""],
            "rate_per_1000_recorded_low": [1.0, 2.0],  # no _high beside it: a column of its own
        }
    )
    kinds = {"share_low": "share", "share_high": "share", "rate_per_1000_recorded_low": "rate"}
    html = render_table(frame, "t2", kinds=kinds)
    head, body = html.split("<tbody>")
    assert head == (
        '<table class="report-table" id="table-t2" data-csv="tables/t2.csv"><thead>'
        '<tr class="spanners"><td></td>'
        '<th scope="colgroup" colspan="2" class="spanner">community resolutions (count)</th>'
        '<th scope="colgroup" colspan="2" class="spanner">share of assigned outcomes</th>'
        "<td></td><td></td></tr>"
        '<tr><th scope="col" class="text">force</th>'
        '<th scope="col" class="number">count</th>'
        '<th scope="col" class="number" data-columns="cr_low cr_high">95% interval</th>'
        '<th scope="col" class="number">value</th>'
        '<th scope="col" class="number" data-columns="share_low share_high">95% interval</th>'
        '<th scope="col" class="text long">quarters left out</th>'
        '<th scope="col" class="number">per 1,000 recorded, lower 95% limit</th></tr></thead>'
    )
    assert body == (
        '<tr><td class="text">Kent</td><td class="number">12</td>'
        '<td class="number" data-columns="cr_low cr_high">6.2 to 21.0</td>'
        '<td class="number">25.00%</td>'
        '<td class="number" data-columns="share_low share_high">10.00% to 40.00%</td>'
        '<td class="text long">2024/25 Q1 (data missing); 2024/25 Q2 (data missing)</td>'
        '<td class="number">1.00</td></tr>'
        '<tr><td class="text">Essex</td><td class="number">n/a</td>'
        '<td class="number" data-columns="cr_low cr_high">n/a</td>'
        '<td class="number">50.00%</td>'
        '<td class="number" data-columns="share_low share_high">n/a to 75.00%</td>'
        '<td class="text long"></td>'
        '<td class="number">2.00</td></tr></tbody></table>'
    )


def test_short_text_is_not_long_and_a_table_without_intervals_has_one_header_row():
    html = render_table(pd.DataFrame({"force": ["x" * 40], "reason": ["y" * 41]}), "t3")
    assert html.split("<tbody>")[0].endswith(
        '<thead><tr><th scope="col" class="text">force</th><th scope="col" class="text long">reason</th></tr></thead>'
    )


def test_a_table_scrolls_in_a_named_focusable_region():
    assert scrolling("<table></table>", "a&b") == (
        '<div class="table-scroll" role="region" tabindex="0" aria-label="table a&amp;b, scrolls sideways">'
        "<table></table></div>"
    )


def test_an_undeclared_true_false_column_is_text_not_a_number():
    assert '<td class="text">True</td>' in render_table(pd.DataFrame({"undeclared_yes_no": [True]}), "b2")


def test_a_table_ending_with_an_interval_spans_to_its_last_column():
    frame = pd.DataFrame({"force": ["Kent"], "ratio": [1.5], "ratio_low": [1.1], "ratio_high": [2.25]})
    head = render_table(frame, "t4").split("<tbody>")[0]
    assert '<tr class="spanners"><td></td><th scope="colgroup" colspan="2" class="spanner">rate ratio</th></tr>' in head


def test_fixed_formats_with_its_decimals_suffix_and_sign():
    # _fixed builds KINDS at import, before a mutant is switched on: called here directly.
    assert _fixed(0)(12345) == "12,345" and _fixed(0)(-150) == "-150"
    assert _fixed(2)(1234.5) == "1,234.50"
    assert _fixed(1, "%", sign=True)(12.34) == "+12.3%" and _fixed(1, "%", sign=True)(-5.0) == "-5.0%"
    assert _fixed(1, sign=True)(0.04) == "+0.0"


def test_an_unknown_kind_names_the_kinds_there_are():
    with pytest.raises(
        CrimeOutcomesError,
        match=r"column 'x': unknown kind 'bogus' \(kinds: count, expected, number, rate, share, ratio, limit, "
        r"percent_change, p_value, flag, year, text, force, value, date\)$",
    ):
        kind_of("x", True, {"x": "bogus"})


def test_a_value_with_only_one_end_of_its_interval_is_not_merged():
    frame = pd.DataFrame({"force": ["Kent"], "ratio": [1.5], "ratio_low": [1.1]})
    html = render_table(frame, "t5")
    assert "data-columns" not in html and "spanner" not in html
    assert html.split("<tbody>")[1] == (
        '<tr><td class="text">Kent</td><td class="number">1.50</td><td class="number">1.10</td></tr></tbody></table>'
    )


def test_a_value_written_as_text_is_not_merged_with_its_interval():
    # A ratio written as published ('<0.5'): text, shown as it is; the limits beside it stay columns of their own.
    frame = pd.DataFrame({"ratio": ["<0.5"], "ratio_low": [0.1], "ratio_high": [0.45]})
    html = render_table(frame, "t6")
    assert "data-columns" not in html and "spanner" not in html
    assert html.split("<tbody>")[1] == (
        '<tr><td class="text">&lt;0.5</td><td class="number">0.10</td><td class="number">0.45</td></tr></tbody></table>'
    )


def test_the_callers_heading_is_the_spanner_of_a_value_with_its_interval():
    frame = pd.DataFrame({"share": [0.25], "share_low": [0.1], "share_high": [0.4]})
    html = render_table(
        frame, "t7", kinds={"share_low": "share", "share_high": "share"}, headings={"share": "share of all crime"}
    )
    assert '<th scope="colgroup" colspan="2" class="spanner">share of all crime</th>' in html


def test_the_csv_named_by_a_table_is_in_its_folder():
    frame = pd.DataFrame({"force": ["Kent"]})
    assert 'data-csv="forces/kent/tables/t8.csv"' in render_table(frame, "t8", folder="forces/kent")
    assert 'data-csv="tables/t8.csv"' in render_table(frame, "t8")
