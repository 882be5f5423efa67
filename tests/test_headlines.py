"""The index page's sentences, on hand-made summaries whose wording is worked out by hand."""

import copy
import html

import pandas as pd
from scipy.stats import binomtest

from crimeoutcomes.pages.index_page import render_index
from crimeoutcomes.prose.headlines import caveats, headlines
from crimeoutcomes.prose.headlines import records as _records
from crimeoutcomes.stats.yearly_change import national_changes


def _national(cr, assigned=100_000, missing=0):
    return {
        "community_resolutions": cr,
        "assigned_outcomes": assigned,
        "share_of_assigned": cr / assigned,
        "charges_and_out_of_court": 10_000,
        "share_of_charges_and_out_of_court": cr / 10_000,
        "force_quarters_missing": missing,
    }


SUMMARY = {
    "financial_year": "2024/25",
    "count_basis": "recorded",
    "synthetic": False,
    "count_basis_meaning": "outcomes so far of the offences recorded in the year",
    "sexual_offences": _national(900, 182_000),
    "sexual_offences_by_year": {"2023/24": _national(800), "2024/25": _national(900, 182_000)},
    "all_offences": _national(150_000, 4_000_000),
    "community_resolutions_by_force": {"Kent": 40, "Lancashire": 213, "Essex": None},
    "child_victim_offences": {"community_resolutions": 213, "forces_using_cr_for_child_rape": ["West Midlands"]},
    "forces_missing": {},
    "sources": [],
}


def _with_changes(summary: dict) -> dict:
    """The summary's changes, as summary.json builds them from the years' totals."""
    totals = pd.DataFrame(
        [{"financial_year": year, **figures} for year, figures in summary["sexual_offences_by_year"].items()]
    )
    return {**summary, "changes": {"national": _records(national_changes(totals))}}


def _ratio_interval(before: int, after: int) -> tuple[float, float]:
    """The exact conditional interval of after/before, from scipy's binomial test (after of the two)."""
    ci = binomtest(after, before + after).proportion_ci(0.95, method="exact")
    return ci.low / (1 - ci.low), ci.high / (1 - ci.high)


SUMMARY = _with_changes(SUMMARY)


def test_the_headline_sentences():
    first, share, child, top, everything = headlines(SUMMARY)
    low, high = _ratio_interval(800, 900)  # 1.021 to 1.240
    assert first == (
        "Police in England and Wales used community resolutions for 900 sexual offences in 2024/25, "
        f"up 13% (95% CI {(low - 1) * 100:.0f}% to {(high - 1) * 100:.0f}%), against the 800 in "
        "2023/24."
    )  # (900 - 800) / 800 = 12.5%, whole per cent rounded half up
    assert share == (
        "That is 0.49% of the 182,000 sexual offences given an outcome, or about one in 202, and "
        "9.0% of those that ended in a charge or an out-of-court outcome."
    )  # 182000 / 900 = 202.2
    assert child == (
        "213 were for offences whose legal definition makes the victim a child; 1 force used one for "
        "the rape of a child (West Midlands)."
    )
    assert top.startswith("Lancashire recorded the most (213).")
    assert everything == "Across all crime, police used 150,000 community resolutions in 2024/25."


def test_fewer_the_same_and_no_earlier_year():
    fewer = copy.deepcopy(SUMMARY)
    fewer["sexual_offences_by_year"]["2023/24"] = _national(1_000)
    low, high = _ratio_interval(1_000, 900)  # 0.82 to 0.98: a fall the interval does not cross 1 for
    assert headlines(_with_changes(fewer))[0].endswith(
        f", down 10% (95% CI {(1 - high) * 100:.0f}% to {(1 - low) * 100:.0f}%), against the 1,000 in 2023/24."
    )
    same = copy.deepcopy(SUMMARY)
    same["sexual_offences_by_year"]["2023/24"] = _national(880)
    low, high = _ratio_interval(880, 900)  # crosses 1: no direction is claimed
    assert headlines(_with_changes(same))[0].endswith(
        f", no change detectable (up 2.3%, 95% CI down {(1 - low) * 100:.1f}% to up {(high - 1) * 100:.1f}%), "
        "against the 880 in 2023/24."
    )
    alone = copy.deepcopy(SUMMARY)
    del alone["sexual_offences_by_year"]["2023/24"]
    assert headlines(alone)[0].endswith("(the data read holds no figures for 2023/24 to compare with).")


def test_missing_force_data_means_no_percentage_change():
    gappy = copy.deepcopy(SUMMARY)
    gappy["sexual_offences_by_year"]["2023/24"] = _national(700, missing=3)
    sentence = headlines(_with_changes(gappy))[0]
    assert "%" not in sentence
    assert sentence.endswith(
        "against 700 in 2023/24; the two are not like for like, because data for 3 "
        "force-quarters is missing or collapsed across the two years."
    )


def test_no_child_rape_and_synthetic_caveat_first():
    none = copy.deepcopy(SUMMARY)
    none["child_victim_offences"]["forces_using_cr_for_child_rape"] = []
    assert headlines(none)[2].endswith("; no force used one for the rape of a child.")
    none["synthetic"] = True
    assert caveats(none)[0].startswith("SYNTHETIC DATA")
    assert not caveats(SUMMARY)[0].startswith("SYNTHETIC")


def test_the_index_page_carries_the_sentences_and_caveats():
    page = render_index(dict(SUMMARY, force_comparison={}), [("National totals", "01-national-totals.html")])
    shown = html.unescape(page)  # the text a reader sees, however the page escapes it
    for sentence in headlines(SUMMARY) + caveats(SUMMARY):
        assert sentence in shown
    assert page.count("<h1>") == 1 and 'href="01-national-totals.html"' in page
