"""Each report's key findings: three to five sentences at the top of the page, written from the
results the notebook has already computed (the same pandas frames and comparison object it shows
below), so that a finding and the figure it summarises come from one call.

Missing or collapsed data is said in words, never as a number or zero."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crimeoutcomes.data.codes import display_name
from crimeoutcomes.prose import headlines
from crimeoutcomes.prose.question_words import Words, words_of
from crimeoutcomes.reconciliation import press_figures as reconcile


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def _names(names: Sequence[str]) -> str:
    names = [display_name(str(n)) for n in names]  # a force as the pages name it ('City of London')
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _known(value) -> bool:
    return value is not None and not pd.isna(value)


# -- 01 national totals ----------------------------------------------------------------------------
def _summary_part(totals: pd.DataFrame, changes: pd.DataFrame, year: str, words: Words, of_charges: bool) -> dict:
    """The part of summary.json that the index's sentences on the national count read, made from the
    notebook's own frames by summary.json's own converters."""
    by_year = {
        str(y): headlines.national_figures(totals[totals["financial_year"] == y], of_charges)
        for y in totals["financial_year"]
    }
    part = {
        "financial_year": year,
        "sexual_offences": by_year[year],
        "sexual_offences_by_year": by_year,
        "changes": {"national": headlines.records(changes)},
    }
    if not words.default:
        part["question"] = {"words": words.heading, "count_words": words.count, "offence_words": words.offences}
    return part


def national(
    totals: pd.DataFrame,
    changes: pd.DataFrame,
    trend: dict,
    all_crime: pd.DataFrame,
    year: str,
    words: Words | None = None,
    of_charges: bool = True,
) -> list:
    """Report 01: the count and its change, the shares, the trend, and the question's offences beside
    all crime.

    ``totals`` and ``all_crime`` are ``Analysis.totals`` by year, ``changes`` ``Analysis.changes``,
    ``trend`` ``Analysis.trend``, ``words`` ``Analysis.words`` (default: the default question's);
    ``of_charges``: whether the count is among the charges and out-of-court outcomes. The first two
    sentences are the index page's (``headlines``)."""
    words = words or words_of()
    part = _summary_part(totals, changes, year, words, of_charges)
    sentences = headlines.national_sentences(part)
    now = part["sexual_offences"]
    if now["force_quarters_missing"] and headlines.previous_year(year) not in part["sexual_offences_by_year"]:
        # (with the year before read, the first sentence already says the two are not like for like)
        sentences.append(
            f"Data for {_plural(now['force_quarters_missing'], 'force-quarter')} is missing or collapsed in {year}: "
            "the total adds what forces provided, so it is not like for like with another year's."
        )
    if trend["percent_per_year"] is not None:
        years = trend["years"]
        sentences.append(
            f"Trend over the {len(years)} years with complete data between {years[0]} and {years[-1]}: "
            f"{trend['change']}."
        )
    everything = all_crime[all_crime["financial_year"] == year].iloc[0]
    cr, assigned = everything["community_resolutions"], everything["assigned_outcomes"]
    if _known(cr) and _known(assigned) and assigned and now["share_of_assigned"] is not None:
        sentences.append(
            f"For all crime, {cr / assigned:.1%} of assigned outcomes were {words.count} "
            f"({int(cr):,}), against {now['share_of_assigned']:.2%} for {words.offences}."
        )
    return sentences


def press_figures(ids: Sequence[str], synthetic: bool) -> str:
    """Figures in circulation that a report quotes, read from reference/published_figures.csv (the
    list report 04 reconciles) rather than typed into the notebook. On a synthetic build a real
    figure never stands beside an invented one without saying which is which."""
    table = reconcile.published_figures().set_index("id")
    quoted = _names(
        [f"{reconcile.published_text(table.loc[i].to_dict())} in {str(table.loc[i, 'windows'])}" for i in ids]
    )
    sources = _names(sorted({str(table.loc[i, "published_by"]).split(",")[0] for i in ids}))
    if synthetic:
        return (
            f"The real published figures of this kind were {quoted} ({sources}). The chart and numbers below are "
            "SYNTHETIC (invented by the sample generator): they cannot be set beside the real figures."
        )
    return f"The press figures are of this kind: {quoted} ({sources})."


# -- 02 force comparison ---------------------------------------------------------------------------
def chance_flags(expected: float) -> str:
    """How many flags chance alone would give, as the key findings and the page's body both say it.

    The exact tests flag a force only where the attained chance is within the level, so at real
    sizes the sum of each force's chance of a flag (~0.05 at 99.8% for 44 forces) is below the
    nominal 44 x 0.002 = 0.088: one significant figure keeps that visible (one decimal would round
    0.05 up to 0.1)."""
    if expected < 0.01:
        return "fewer than 0.01"
    return f"about {expected:.1f}" if expected >= 1 else f"about {float(f'{expected:.1g}'):g}"


def _flag_sentence(what: str, frame: pd.DataFrame, fc, limits: str) -> str:
    """How many forces lie outside the 99.8% limits, how many chance alone would put there, and the
    forces still outside once over-dispersion is allowed for (named only then)."""
    spread = fc.dispersion(frame)
    outside, adjusted = fc.outside(frame), fc.outside(frame, adjusted=True)
    text = (
        f"{what}: {len(outside):,} of {spread['units']:,} forces {'lies' if len(outside) == 1 else 'lie'} outside "
        f"the 99.8% {limits} limits (chance alone would put {chance_flags(spread['expected_flags_99_8'])} there). "
    )
    if not spread["over_dispersed"]:
        return text + (
            f"The forces differ no more than chance allows (over-dispersion test p = {spread['p_value']:.3f})"
            + (f", so the flags stand: {_names(outside)}." if outside else ".")
        )
    text += (
        f"The forces differ by far more than chance (over-dispersion phi = {spread['phi']:.1f}, simulation p = "
        f"{spread['p_value']:.3f}); with the limits widened for it (random-effects over-dispersion adjustment: a "
        f"{spread['model']} model chosen by likelihood, each force judged against the model fitted to the others), "
    )
    if not adjusted:
        text += "none is outside at 99.8%."
    else:
        text += (
            f"only {adjusted[0]} is still outside."
            if len(adjusted) == 1
            else f"{len(adjusted)} are still outside: {_names(adjusted)}."
        )
    return text + _sides_at_95(frame)


def _sides_at_95(frame: pd.DataFrame) -> str:
    """The forces above and below the adjusted 95% limits (a low force can be flagged once the spread
    is allowed for: the limits are the model's, not the widened binomial's)."""
    flags = frame["outside_adjusted_95"].fillna("")
    high, low = (
        frame.loc[flags == "high", "force"].astype(str).tolist(),
        frame.loc[flags == "low", "force"].astype(str).tolist(),
    )
    if not high and not low:
        return " At 95% none is outside either."
    parts = [f"{_names(names)} {word}" for names, word in ((high, "above"), (low, "below")) if names]
    return f" At the adjusted 95% limits: {' and '.join(parts)}."


def force_comparison(fc, period: str, words: Words | None = None) -> list:
    """Report 02: flags after the over-dispersion adjustment, on the share and given the offence mix;
    what the ranks can tell apart; forces not ranked and quarters left out. ``fc`` is
    ``Analysis.compare_forces``, ``words`` ``Analysis.words`` (default: the default question's)."""
    count = (words or words_of()).count
    from crimeoutcomes.stats.comparison import MIN_OUTCOMES_TO_RANK, told_apart

    sentences = []
    if not len(fc.funnel):
        return [f"No force had {MIN_OUTCOMES_TO_RANK} or more usable assigned outcomes in {period}: none is compared."]
    sentences.append(
        _flag_sentence(
            f"{count[0].upper()}{count[1:]} as a share of assigned outcomes, {period} (England and Wales "
            f"{fc.national_share:.2%})",
            fc.funnel,
            fc,
            "exact binomial",
        )
    )
    if len(fc.mix):
        sentences.append(
            _flag_sentence(
                "Given each force's offence mix (observed / expected at the other forces' rates for each offence)",
                fc.mix,
                fc,
                "exact Poisson",
            )
        )
    spread = told_apart(fc.funnel)
    if fc.dispersion(fc.funnel)["over_dispersed"]:
        sentences.append(
            f"Of {spread['forces']} forces ranked by share, {spread['told_apart']} can be told apart from the middle "
            "of the table by their 95% rank intervals; the order of the others is not evidence of a difference."
        )
    else:
        sentences.append(
            f"The {spread['forces']} forces ranked by share differ no more than chance allows, so none can be told "
            "apart: every 95% rank interval is the whole table, and the order is not evidence of a difference."
        )
    unranked = fc.table.loc[~fc.table["rankable"].astype(bool), "force"].astype(str).tolist()
    left_out = sorted(fc.left_out["force"].astype(str).unique()) if len(fc.left_out) else []
    notes = []
    if unranked:
        notes.append(
            f"{_plural(len(unranked), 'force')} had fewer than {MIN_OUTCOMES_TO_RANK} usable assigned outcomes and "
            f"{'is' if len(unranked) == 1 else 'are'} not ranked ({_names(unranked)})"
        )
    if left_out:
        notes.append(
            f"quarters of {_plural(len(left_out), 'force')} ({_names(left_out)}) are left out of every rate "
            "because their data is missing or collapsed"
        )
    if notes:
        sentences.append(notes[0][0].upper() + notes[0][1:] + ("; " + notes[1] if len(notes) > 1 else "") + ".")
    return sentences


# -- 03 child-victim offences ----------------------------------------------------------------------
def child_victim(
    by_code_year: pd.DataFrame,
    by_force: pd.DataFrame,
    child_rape: pd.DataFrame | None,
    year: str,
    words: Words | None = None,
) -> list:
    """Report 03: the year's count and its largest codes, the forces that used one (and those whose
    data cannot say), and the forces that used one for the rape of a child. ``by_code_year`` is
    ``Analysis.code_totals`` of the question's child-victim codes by year, ``by_force``
    ``Analysis.force_totals`` of them in the year, ``child_rape`` ``Analysis.forces_using_cr`` of the
    child-rape codes among them (None where there are none); ``words`` the question's (the default's
    when None)."""
    words = words or words_of()
    this_year = by_code_year[by_code_year["financial_year"] == year]
    total = int(this_year["community_resolutions"].sum())
    sentences = [
        f"In {year}, {_plural(total, 'offence')} whose legal definition makes the victim a child {words.ended_in}"
        + (f", {total / this_year['assigned_outcomes'].sum():.1%} of their assigned outcomes." if total else ".")
    ]
    used = this_year[this_year["community_resolutions"] > 0].sort_values(
        ["community_resolutions", "offence_code"], ascending=[False, True]
    )
    if len(used):
        top = used.head(2)
        sentences.append(
            "Most were for "
            + " and ".join(
                f"{row.offence_code} {row.offence_description} ({row.community_resolutions:,})"
                for row in top.itertuples()
            )
            + "."
        )
    known = by_force[by_force["community_resolutions"].notna()]
    unknown = by_force.loc[by_force["community_resolutions"].isna(), "force"].astype(str).tolist()
    sentences.append(
        f"{int((known['community_resolutions'] > 0).sum()):,} of the {len(by_force):,} forces recorded at least one"
        + (
            f"; for {_names(unknown)} the data is missing or collapsed in some quarter, so no count is given."
            if unknown
            else "."
        )
    )
    if child_rape is None:  # the question's offences hold no rape of a child
        return sentences
    in_year = child_rape[child_rape["financial_year"] == year].sort_values("force")
    ever = sorted(child_rape["force"].astype(str).unique())
    years = sorted(child_rape["financial_year"].astype(str).unique())
    if len(in_year):
        sentences.append(
            f"{_plural(len(in_year), 'force')} {words.used} for the rape of a child in {year}: "
            + _names(
                [f"{display_name(str(row.force))} ({row.community_resolutions:,})" for row in in_year.itertuples()]
            )
            + "."
        )
    else:
        sentences.append(f"No force recorded {words.a_count} for the rape of a child in {year}.")
    if ever and (len(ever) != len(in_year) or years != [year]):
        sentences.append(
            f"In the years read, {_plural(len(ever), 'force')} did so at least once ({years[0]} to {years[-1]})."
        )
    return sentences


# -- 04 reconciliation -----------------------------------------------------------------------------
#: The start of the reason ``reconciliation.press_figures`` gives where another release could explain the gap.
RELEASE_REASON = "release: another release"

#: The statuses of real data in reading order, as ``reconciliation.press_figures`` writes them.
STATUSES = tuple(status for status in reconcile.STATUSES if status != reconcile.SYNTHETIC)


def largest_gap(figures: pd.DataFrame) -> pd.Series | None:
    """Of the figures that differ from ours by more than a revision between releases could explain
    (status *differs*, no 'release' reason), the one with the largest gap: counts first, in their
    own unit, then the other units by the gap's share of the figure."""
    differs = figures[
        (figures["status"] == "differs")
        & figures["difference"].notna()
        & (figures["figure"] != 0)
        & ~figures["reasons"].str.contains(RELEASE_REASON, regex=False)
    ]
    if differs.empty:
        return None
    order = differs.assign(
        other_unit=differs["unit"] != "count",
        size=differs["difference"]
        .abs()
        .where(differs["unit"] == "count", differs["difference"].abs() / differs["figure"].abs()),
    ).sort_values(["other_unit", "size"], ascending=[True, False], kind="stable")
    return order.iloc[0]


def reconciliation(figures: pd.DataFrame, synthetic: bool) -> list:
    """Report 04: how many figures reconcile, differ or cannot be reproduced, and the largest gap the
    data leave unexplained. ``figures`` is ``reconcile.reconciliation(...).figures``."""
    from crimeoutcomes.reconciliation.press_figures import format_value

    total = len(figures)
    if synthetic:
        computed = int(figures["best_ours"].notna().sum())
        return [
            f"{_plural(total, 'published figure')} set beside the synthetic sample: no reconciliation is "
            "meaningful on invented numbers, so every status says synthetic.",
            f"The machinery computed ours for {computed:,} of them; for the other {total - computed:,} the files "
            "read hold nothing comparable (shown as n/a, never 0).",
        ]
    counts = {status: int((figures["status"] == status).sum()) for status in STATUSES}
    reproduced = counts[STATUSES[0]] + counts[STATUSES[1]]
    sentences = [
        f"Of {_plural(total, 'published figure')}, the open data reproduce {reproduced:,}"
        + (f" ({counts[STATUSES[1]]:,} only with another window or grouping)" if counts[STATUSES[1]] else "")
        + f" and {counts['differs']:,} differ."
    ]
    if counts["not reproducible"] or counts["not in the files read"]:
        sentences.append(
            f"The other {counts['not reproducible'] + counts['not in the files read']:,} cannot be checked: "
            f"{counts['not reproducible']:,} {'is' if counts['not reproducible'] == 1 else 'are'} of another kind "
            "(offender counts, Ministry of Justice series, some forces only, ages within a code) and "
            f"{counts['not in the files read']:,} {'needs' if counts['not in the files read'] == 1 else 'need'} "
            "years or a basis that the files read do not hold."
        )
    row = largest_gap(figures)
    if row is not None:
        gap = row["difference"]
        where = (
            ""
            if (row["best_window"], row["best_offences"]) == (row["window"], row["offences"])
            else f"{row['best_offences']}, {row['best_window']}, "
        )
        sentences.append(
            f"The largest gap that a revision between releases cannot explain: {row['published']} "
            f"({row['published_by']}) for {row['offences']}, {row['area']}, {row['window']}, against ours "
            f"{format_value(row['best_ours'], row['unit'])} ({where}{row['best_basis']} basis): "
            f"{format_value(abs(gap), row['unit'])} {'fewer' if gap > 0 else 'more'} in the open data, "
            f"{abs(gap) / abs(row['figure']):.0%} of the figure. What the data cannot rule out: {row['reasons']}."
        )
    elif counts["differs"]:
        sentences.append("Every figure that differs is within the size of a revision between releases.")
    return sentences
