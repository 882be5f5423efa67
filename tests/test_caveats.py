"""Caveats as data: each applies exactly where its scope says, numbers are stable, the page is escaped,
and a malformed row is an error naming its row and column."""

import csv

import pytest

from crimeoutcomes.errors import CrimeOutcomesError, InputFileError
from crimeoutcomes.notebook.caveats import COLUMNS, Scope, caveats_for, caveats_html, load_caveats, markers

ALL_IDS = [
    "outcome-22-voluntary",
    "greater-manchester-2019",
    "devon-and-cornwall-2022",
    "not-provided-2014-15",
    "no-outcome-19-from-2024-25",
    "btp-denominators",
    "outcome-8-or-22",
    "synthetic-sample",
]


def _ids(scope, caveats=None):
    return [c.id for c in caveats_for(scope, caveats)]


def test_the_file_holds_the_caveats_in_order():
    caveats = load_caveats()
    assert [c.id for c in caveats] == ALL_IDS
    assert [c.number for c in caveats] == list(range(1, len(ALL_IDS) + 1))
    assert all(c.text for c in caveats)


@pytest.mark.parametrize(
    "scope, expected",
    [
        # National, one recent year, community resolutions: the gap that may still run, BTP, 8-or-22.
        (Scope(["2024/25"], None, None, ["8"]), ["devon-and-cornwall-2022", "btp-denominators", "outcome-8-or-22"]),
        # Outcome 22 nationally over the voluntary years: its own caveat, GMP's gap, 8-or-22.
        (
            Scope(["2019/20", "2020/21"], None, None, ["22"]),
            ["outcome-22-voluntary", "greater-manchester-2019", "btp-denominators", "outcome-8-or-22"],
        ),
        (Scope(["2021/22"], None, None, ["22"]), ["btp-denominators", "outcome-8-or-22"]),
        # 2014/15: only the forces that did not provide data carry it (outcome 22 began in 2019/20).
        (Scope(["2014/15"], ["Kent"]), []),
        (Scope(["2014/15"], ["Cumbria"]), ["not-provided-2014-15"]),
        (Scope(["2018/19"], None, None, ["22"]), ["btp-denominators"]),
        (Scope(["2014/15"], ["Kent", "Dyfed-Powys"], None, ["8"]), ["not-provided-2014-15"]),
        # Greater Manchester: 2019/20 only; Devon and Cornwall: from 2022/23 on.
        (Scope(["2019/20"], ["Greater Manchester"], None, ["8"]), ["greater-manchester-2019", "outcome-8-or-22"]),
        (Scope(["2018/19", "2020/21"], ["Greater Manchester"], None, ["8"]), ["outcome-8-or-22"]),
        (Scope(["2021/22"], ["Devon and Cornwall"], None, ["8"]), ["outcome-8-or-22"]),
        (Scope(["2021/22", "2025/26"], ["Devon and Cornwall"], None, ["1"]), ["devon-and-cornwall-2022"]),
        # Type 19 is absent from 2024/25.
        (Scope(["2023/24"], ["Kent"], None, ["19"]), []),
        (Scope(["2024/25"], ["Kent"], None, ["19"]), ["no-outcome-19-from-2024-25"]),
        # British Transport Police in any year; synthetic data adds the sample's own caveat.
        (Scope(["2017/18"], ["British Transport Police"], None, ["1"]), ["btp-denominators"]),
        (
            Scope(["2017/18"], ["British Transport Police"], None, ["1"], synthetic=True),
            ["btp-denominators", "synthetic-sample"],
        ),
        (Scope(synthetic=True), ALL_IDS),
        (Scope(), ALL_IDS[:-1]),
    ],
)
def test_each_caveat_applies_exactly_where_its_scope_says(scope, expected):
    assert _ids(scope) == expected


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _row(id_, forces="", years="", codes="", types="", synthetic="false", text="a caveat", url=""):
    return [id_, forces, years, codes, types, synthetic, text, url]


def test_offence_code_scopes_and_year_ranges(tmp_path):
    caveats = load_caveats(
        _write(
            tmp_path / "c.csv",
            [
                _row("child-rape", codes="19D;19E"),
                _row("range", years="2016/17-2017/18"),
                _row("open-start", years="-2015/16;2020/21"),
            ],
        )
    )
    assert _ids(Scope(offence_codes=["19C"]), caveats) == ["range", "open-start"]
    assert _ids(Scope(["2016/17"], offence_codes=["19E", "20A"]), caveats) == ["child-rape", "range"]
    assert _ids(Scope(["2018/19", "2019/20"]), caveats) == ["child-rape"]
    assert _ids(Scope(["2014/15"]), caveats) == ["child-rape", "open-start"]
    assert _ids(Scope(["2020/21"]), caveats) == ["child-rape", "open-start"]


def test_numbers_come_from_the_file_order_and_survive_additions(tmp_path):
    rows = [_row("a", forces="Kent"), _row("b", synthetic="true"), _row("c", forces="Essex")]
    first = load_caveats(_write(tmp_path / "one.csv", rows))
    later = load_caveats(_write(tmp_path / "two.csv", rows + [_row("d")]))
    assert [(c.id, c.number) for c in first] == [(c.id, c.number) for c in later[:3]]
    essex = caveats_for(Scope(forces=["Essex"]), later)
    assert [c.number for c in essex] == [3, 4]  # 'b' (synthetic only) is left out but keeps number 2
    assert markers(essex) == "[3][4]" and markers([later[0]]) == "[1]" and markers([]) == ""
    assert caveats_for(Scope(forces=["Essex"]), later) == essex  # the same scope, the same numbers


def test_the_caveats_page_is_escaped_and_numbered(tmp_path):
    caveats = load_caveats(
        _write(
            tmp_path / "h.csv",
            [
                _row("plain"),
                _row("synthetic", synthetic="true", text="fake"),
                _row("nasty", text="<script>alert('x')</script> & \"quoted\"", url='https://example.org/a?b=1&c="2"'),
            ],
        )
    )
    page = caveats_html(caveats=caveats)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert 'href="https://example.org/a?b=1&amp;c=&quot;2&quot;"' in page
    assert '<li id="caveat-3" value="3">' in page and "fake" not in page
    assert "fake" in caveats_html(synthetic=True, caveats=caveats)


def test_the_real_page_lists_every_real_caveat_with_its_source():
    page = caveats_html()
    assert page.count("<li ") == len(ALL_IDS) - 1
    assert "Greater Manchester Police&#x27;s new records system" in page
    assert page.count('class="caveat-source"') == sum(1 for c in load_caveats() if c.source_url)


@pytest.mark.parametrize(
    "row, column, fragment",
    [
        (_row("x", forces="Kent;Lancashre"), "forces", "unknown force 'Lancashre'"),
        (_row("x", years="2019/21"), "financial_years", "two years must be consecutive"),
        (_row("x", years="2024"), "financial_years", "not a financial year or range: '2024'"),
        (_row("x", years="2021/22-2019/20"), "financial_years", "ends before it starts"),
        (_row("x", types="8;23"), "outcome_types", "unknown outcome type '23'"),
        (_row("x", synthetic="yes"), "synthetic_only", "must be true or false"),
        (_row("x", url="www.gov.uk/x"), "source_url", "must start with https://"),
        (_row("x", text=" "), "text", "text is empty"),
        (_row("first"), "id", "already used in row 2"),
    ],
)
def test_a_malformed_row_names_its_row_and_column(tmp_path, row, column, fragment):
    path = _write(tmp_path / "bad.csv", [_row("first"), row])
    with pytest.raises(InputFileError) as caught:
        load_caveats(path)
    message = str(caught.value)
    assert f"file {path}" in message and f"column {column!r}, row 3" in message and fragment in message, message


def test_wrong_columns_are_refused(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("id,forces,text\nx,,y\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="the columns must be id, forces, financial_years"):
        load_caveats(path)


def test_a_misspelt_force_in_a_scope_is_refused():
    with pytest.raises(CrimeOutcomesError, match="unknown force 'Devon & Cornwall'"):
        caveats_for(Scope(forces=["Devon & Cornwall"]))
