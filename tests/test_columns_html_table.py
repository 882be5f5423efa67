"""Every table column formatted by its declared kind (columns.py), and the HTML table around it
(html_table.py): values checked against hand-written strings."""

import math

import pandas as pd
import polars as pl
import pytest

from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.report.columns import KINDS, MISSING, formatted, heading, kind_of
from crimeoutcomes.report.tables import render_table


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
    with pytest.raises(CrimeOutcomesError, match="'mystery' holds numbers but its kind is not declared"):
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
    with pytest.raises(CrimeOutcomesError, match="'n_things' holds numbers"):
        render_table(pd.DataFrame({"n_things": [1.5]}), "bad")
    # booleans are flags, not numbers
    assert '<td class="text">yes</td>' in render_table(pd.DataFrame({"fits": [True]}), "b")
