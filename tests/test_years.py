import pytest

from crimeoutcomes.data.years import (
    financial_year_ending_march,
    financial_years_between,
    normalise_financial_year,
    year_slug,
)


@pytest.mark.parametrize("text", ["2024/25", "2024-25", "2024_25", "2024/2025", " 2024 / 25 ", "2024–25"])
def test_spellings_of_a_financial_year_become_one(text):
    assert normalise_financial_year(text) == "2024/25"


@pytest.mark.parametrize("text", ["2024", "2024/26", "2024/24", "24/25", "abc", ""])
def test_impossible_financial_years_are_refused(text):
    with pytest.raises(ValueError, match="not a financial year"):
        normalise_financial_year(text)


def test_century_boundary_and_helpers():
    assert normalise_financial_year("1999/00") == "1999/00"
    assert financial_year_ending_march(2025) == "2024/25"
    assert year_slug("2019/20") == "2019-20"
    assert financial_years_between("2014/15", "2016/17") == ["2014/15", "2015/16", "2016/17"]
