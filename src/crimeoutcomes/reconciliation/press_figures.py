"""Every published figure in circulation beside the open data: ours on each plausible window,
grouping and basis, which fits best and by how much, and every reason the data cannot rule out.

``reference/published_figures.csv`` holds one line per figure (facts only): the rows of the shared
list it comes from (``shared_row``), the candidate windows (``2024/25 | 2023/24``: the first is our
reading, the others plausible alternatives; ``2019/20-2020/21`` is a run of financial years), the
area (England and Wales, a force, a list of forces, or the 38 forces of an FOI reply), the offences
(``group:Sexual offences``, ``codes:19D;19E``, ``all``, parts joined with ``+``, alternative
groupings with ``|``), the unit (``count``, ``per_week``, ``annual_mean``, ``assigned``, or a share
in per cent: ``pct_assigned``, ``pct_assigned_ooc``, ``pct_solved``), the figure and its bound
(exact, approx, at least, more than), caveats (keys of ``CAVEATS``) and the source.

The API speaks pandas: ``reconciliation(analysis)`` (the notebook and summary.json both call it) and
``reconcile(outcomes, ...)`` return a ``Reconciliation`` of pandas tables. Inside, the tidy outcomes
table is aggregated once with polars (year x force x offence code, each basis) for speed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from crimeoutcomes.config import APPROXIMATE_TOLERANCE as APPROX_TOLERANCE
from crimeoutcomes.config import REFERENCE_DIR, REVISION_TOLERANCE
from crimeoutcomes.data.codes import COMMUNITY_RESOLUTION, NOT_YET_ASSIGNED
from crimeoutcomes.data.frames import as_polars
from crimeoutcomes.data.schema import COUNT_BASES
from crimeoutcomes.data.years import financial_years_between

PUBLISHED_FIGURES = REFERENCE_DIR / "published_figures.csv"
ENGLAND_AND_WALES = "England and Wales"
FOI_FORCES = "38 of 43 forces"
#: The press's weeks in a year ("912 / 52 = 17.5").
WEEKS_PER_YEAR = 52
SYNTHETIC = "synthetic"

#: Outcome types behind each unit's numerator and denominator (None = all assigned outcomes).
OUT_OF_COURT = ("2", "3", "6", "7", "8", "22")
SOLVED = ("1", "2", "3", "4", "6", "7", "8")  # charged, out-of-court and taken into consideration
UNITS = {
    "count": "community resolutions",
    "per_week": "community resolutions a week (a year's count / 52)",
    "annual_mean": "community resolutions a year (mean over the window)",
    "assigned": "assigned outcomes (all types but 0)",
    "pct_assigned": "community resolutions as % of assigned outcomes",
    "pct_assigned_ooc": "out-of-court outcomes (types 2, 3, 6, 7, 8, 22) as % of assigned outcomes",
    "pct_solved": "community resolutions as % of charges, out-of-court outcomes and TICs (types 1-4, 6-8)",
}
#: The outcome types each unit counts (its numerator, as ``our_value`` computes it): every unit but
#: two counts community resolutions; ``assigned`` counts every outcome, no type in particular.
UNIT_OUTCOME_TYPES = {
    "count": (COMMUNITY_RESOLUTION,),
    "per_week": (COMMUNITY_RESOLUTION,),
    "annual_mean": (COMMUNITY_RESOLUTION,),
    "assigned": (),
    "pct_assigned": (COMMUNITY_RESOLUTION,),
    "pct_assigned_ooc": OUT_OF_COURT,
    "pct_solved": (COMMUNITY_RESOLUTION,),
}

#: Caveat key -> (blocks reproduction, words). A blocking caveat means the open data cannot reproduce
#: the figure whatever the numbers say; ours is then only the nearest equivalent.
CAVEATS = {
    "moj": (
        True,
        "a Ministry of Justice series (offenders dealt with, its own offence grouping), "
        "not the Home Office outcomes data",
    ),
    "offenders": (True, "counts offenders; the open data count crimes, and one offender can have several"),
    "forces38": (
        True,
        "from the 38 of 43 forces that answered a request; the open data hold every force and do "
        "not say which 38, so ours (all forces) is an upper reference",
    ),
    "age20a": (
        True,
        "ages within 20A: the open data do not split 20A (females aged 13 and over) by age, so 20A "
        "as a whole is only an upper limit",
    ),
    "preframework": (True, "before the outcomes framework (April 2014): the open data start in 2014/15"),
    "calendar": (
        False,
        "a calendar-year or other 12-month window: the open data are by financial year, so the "
        "financial years ending in it are tried",
    ),
    "denominator": (False, "a share whose denominator is not stated; ours is the unit shown"),
    "force_figures": (False, "the force's own figures: window and basis not stated"),
    "year_reading": (False, "the year is our reading of undated or loose wording"),
    "itemised": (False, "itemised by the newspaper; the offence codes are our reading of its words"),
    "children_reading": (False, "'involving children' read as the child-victim codes"),
    "conflict": (False, "two newspapers gave 52 and 30 from the same data set"),
}

STATUSES = (
    "reproduced",
    "reproduced with a different grouping or window",
    "differs",
    "not reproducible",
    "not in the files read",
    SYNTHETIC,
)


# --- the reference table ---------------------------------------------------------------------------


@cache
def _read(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["shared_row"] = table["shared_row"].astype(int)
    table["figure"] = table["figure"].astype(float)
    return table


def published_figures(path: str | Path = PUBLISHED_FIGURES) -> pd.DataFrame:
    """The reference table, one row per figure (pandas; a copy)."""
    return _read(Path(path)).copy()


def _split(value: str, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def parse_window(text: str) -> list[str]:
    """'2019/20-2020/21' -> every financial year of the run; '2014/15;2016/17' -> those; '2024/25' -> one."""
    years = []
    for part in _split(text, ";"):
        if re.fullmatch(r"\d{4}/\d{2}-\d{4}/\d{2}", part):
            first, last = part.split("-")
            years.extend(financial_years_between(first, last))
        else:
            years.append(part)
    return years


def parse_offences(text: str) -> list[dict]:
    """'group:Sexual offences + codes:86' -> [{'groups': ['Sexual offences'], 'codes': ['86'], 'all': False}]:
    one selection per alternative grouping."""
    alternatives = []
    for alternative in _split(text, "|"):
        selection: dict[str, Any] = {"groups": [], "codes": [], "all": False, "label": alternative}
        for part in _split(alternative, "+"):
            kind, _, value = part.partition(":")
            if kind == "all":
                selection["all"] = True
            elif kind == "group":
                selection["groups"].append(value.strip())
            elif kind == "codes":
                selection["codes"].extend(_split(value, ";"))
            else:
                raise ValueError(f"published figures: unknown offence selection {part!r}")
        alternatives.append(selection)
    return alternatives


def offence_words(selection: dict) -> str:
    if selection["all"]:
        return "all crime"
    parts = [f"{g} group" for g in selection["groups"]]
    if selection["codes"]:
        parts.append(("code " if len(selection["codes"]) == 1 else "codes ") + ", ".join(selection["codes"]))
    return " + ".join(parts)


def window_words(years: list[str]) -> str:
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def offence_table(rows) -> pl.DataFrame:
    """Which code is in which offence group and subgroup: the distinct offence_group,
    offence_subgroup and offence_code of ``rows`` (the tidy outcomes, polars or pandas)."""
    columns = ("offence_group", "offence_subgroup")
    return _as_polars(rows).select(*[pl.col(c).cast(pl.String) for c in columns], "offence_code").unique()


def figure_outcome_types(figure: Mapping[Any, Any]) -> tuple[str, ...]:
    """The outcome types a published figure counts (from its unit; () for a count of every outcome)."""
    return UNIT_OUTCOME_TYPES[figure["unit"]]


def selected_codes(selection: dict, offences: pl.DataFrame) -> set[str]:
    """The offence codes of ``offences`` (rows with offence_group and offence_code, such as the tidy
    outcomes) that one grouping of a figure (``parse_offences``) selects."""
    if selection["all"]:
        return set(offences["offence_code"].unique().to_list())
    chosen = offences.filter(
        pl.col("offence_group").cast(pl.String).is_in(selection["groups"])
        | pl.col("offence_code").is_in(selection["codes"])
    )
    return set(chosen["offence_code"].unique().to_list())


def concerns(figure: Mapping[Any, Any], outcome_types: tuple[str, ...], asked: set[str], offences) -> bool:
    """Whether a published figure answers a question: it counts the question's outcome types, and one
    of its groupings selects offences that are all among the codes ``asked`` (a part of the question's
    offences is still about them; 'all crime' or another group is not)."""
    if set(figure_outcome_types(figure)) != set(outcome_types):
        return False
    for selection in parse_offences(figure["offences"]):
        codes = selected_codes(selection, offences)
        if codes and codes <= asked:
            return True
    return False


def figures_concerning(
    outcome_types: tuple[str, ...], asked: set[str], offences, published: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The published figures (``published_figures()``) that answer the question of ``outcome_types``
    for the offence codes ``asked``; ``offences`` are rows with offence_group and offence_code (the
    tidy outcomes, polars or pandas) that tell which codes a group holds."""
    published = published if published is not None else published_figures()
    offences = offence_table(offences)
    keep = [concerns(figure, outcome_types, asked, offences) for figure in published.to_dict("records")]
    return published[keep]


def figures_for_question(question, rows, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published figures that concern ``question`` (``stats.question.Question``): those that count
    its outcome types for offences all among its own, as the tidy outcomes ``rows`` file the codes."""
    offences = offence_table(rows)
    asked = set(question.select(offences)["offence_code"].unique().to_list())
    return figures_concerning(question.outcome_types, asked, offences, published)


# --- what the open data hold -----------------------------------------------------------------------


@dataclass
class Cells:
    """The outcomes aggregated to what a published figure can select (pandas)."""

    sums: pd.DataFrame  # financial_year, basis, force, offence_group, offence_code, cr, assigned, ooc, solved
    bases_held: set  # (basis, financial_year) with counts
    codes_held: dict  # financial_year -> set of offence codes in the file (expired ones too)
    forces_held: dict  # financial_year -> set of forces

    @property
    def years(self) -> set:
        return set(self.codes_held)


def _as_polars(outcomes) -> pl.DataFrame:
    """polars as it is; pandas through the bridge, with the counts as whole numbers again (a plain
    pandas table holds counts with a gap as floats, which would not stack with the other basis)."""
    if isinstance(outcomes, pl.DataFrame):
        return outcomes
    frame = as_polars(outcomes)
    return frame.with_columns(pl.col(c).cast(pl.Int64) for c in COUNT_BASES if c in frame.columns)


def aggregate(outcomes) -> Cells:
    """Sum the tidy outcomes table (polars or pandas) to year x force x offence code, each basis:
    community resolutions, assigned outcomes, out-of-court outcomes and 'solved' outcomes."""
    outcomes = _as_polars(outcomes)
    base = outcomes.filter(pl.col("outcome_type") != NOT_YET_ASSIGNED)
    keys = ["financial_year", "force", "offence_group", "offence_code"]
    parts, held = [], set()
    for basis in COUNT_BASES:
        # An expired code's marker counts nothing (as measures.countable).
        rows = base.filter(~(pl.col("offence_code_expired").fill_null(False) & pl.col(basis).is_null()))
        present = rows.group_by("financial_year").agg(pl.col(basis).is_not_null().any().alias("any"))
        years = set(present.filter(pl.col("any"))["financial_year"].to_list())
        held |= {(basis, y) for y in years}
        count = pl.col(basis)
        parts.append(
            rows.filter(pl.col("financial_year").is_in(sorted(years)))
            .group_by(keys)
            .agg(
                cr=count.filter(pl.col("outcome_type") == COMMUNITY_RESOLUTION).sum(),
                assigned=count.sum(),
                ooc=count.filter(pl.col("outcome_type").is_in(OUT_OF_COURT)).sum(),
                solved=count.filter(pl.col("outcome_type").is_in(SOLVED)).sum(),
            )
            .with_columns(basis=pl.lit(basis))
        )
    sums = pl.concat(parts).sort([*keys, "basis"]).to_pandas()
    for column in ("cr", "assigned", "ooc", "solved"):
        sums[column] = sums[column].astype("float64")
    present = outcomes.select("financial_year", "offence_code", "force").unique()
    codes_held = {y: set(g["offence_code"]) for y, g in present.to_pandas().groupby("financial_year")}
    forces_held = {y: set(g["force"]) for y, g in present.to_pandas().groupby("financial_year")}
    return Cells(sums, held, codes_held, forces_held)


def _forces(area: str) -> list[str] | None:
    """None = every force (England and Wales, or the unnamed 38 forces of an FOI reply)."""
    return None if area in (ENGLAND_AND_WALES, FOI_FORCES) else _split(area, ";")


def our_value(
    cells: Cells, years: list[str], selection: dict, basis: str, area: str, unit: str
) -> tuple[float | None, str | None]:
    """Ours for one window, grouping and basis, in the figure's unit; else None and why not."""
    missing = [y for y in years if y not in cells.years]
    if missing:
        return None, f"{', '.join(missing)} not in the files read"
    unheld = [y for y in years if (basis, y) not in cells.bases_held]
    if unheld:
        return None, f"the {basis} basis is not in the files read for {', '.join(unheld)}"
    absent = sorted({c for c in selection["codes"] for y in years if c not in cells.codes_held[y]})
    if absent:
        return None, f"code {', '.join(absent)} not in the files read"
    forces = _forces(area)
    if forces:
        unknown = sorted({f for f in forces for y in years if f not in cells.forces_held[y]})
        if unknown:
            return None, f"{', '.join(unknown)} not in the files read"
    rows = cells.sums[(cells.sums["basis"] == basis) & cells.sums["financial_year"].isin(years)]
    if forces:
        rows = rows[rows["force"].isin(forces)]
    if not selection["all"]:
        rows = rows[rows["offence_group"].isin(selection["groups"]) | rows["offence_code"].isin(selection["codes"])]
    cr, assigned = rows["cr"].sum(), rows["assigned"].sum()
    if unit == "count":
        return float(cr), None
    if unit == "per_week":
        return cr / (WEEKS_PER_YEAR * len(years)), None
    if unit == "annual_mean":
        return cr / len(years), None
    if unit == "assigned":
        return float(assigned), None
    numerator, denominator = {
        "pct_assigned": (cr, assigned),
        "pct_assigned_ooc": (rows["ooc"].sum(), assigned),
        "pct_solved": (cr, rows["solved"].sum()),
    }[unit]
    return (100 * numerator / denominator, None) if denominator else (None, "no outcomes to divide by")


# --- comparing -------------------------------------------------------------------------------------


def _decimals(figure: float) -> int:
    return 0 if float(figure).is_integer() else len(repr(float(figure)).split(".")[1])


def fits(figure: float, bound: str, value: float | None) -> bool:
    """Whether ours agrees with the published figure given its bound."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if bound == "at least":
        return value >= figure
    if bound == "more than":
        return value > figure
    if bound == "approx":
        half_unit = 0.5 * 10 ** -_decimals(figure)
        return abs(value - figure) <= max(APPROX_TOLERANCE * abs(figure), half_unit)
    return round(value, _decimals(figure)) == figure


def _number(value: float | None, unit: str = "count") -> str:
    """A value as the reports write it: counts with thousands separators, rates to one decimal, shares in %."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit.startswith("pct"):
        return f"{value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() or unit in ("count", "assigned") else f"{value:,.1f}"


@dataclass
class Reconciliation:
    figures: pd.DataFrame  # one row per published figure
    candidates: pd.DataFrame  # one row per figure x window x grouping x basis tried
    synthetic: bool

    def records(self) -> list[dict]:
        """The figures table as JSON-ready rows, each with the candidates tried (summary.json)."""
        tried = {key: group.drop(columns="id").to_dict("records") for key, group in self.candidates.groupby("id")}
        rows = []
        for row in self.figures.to_dict("records"):
            row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            row["tried"] = [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in c.items()}
                for c in tried.get(row["id"], [])
            ]
            rows.append(row)
        return rows


def _gap_forces(unusable: pd.DataFrame | None, years: list[str], area: str, basis: str) -> list[str]:
    """Forces whose data are missing or collapsed in these years (on ``basis`` where the table says)."""
    if unusable is None or unusable.empty:
        return []
    chosen = unusable[unusable["financial_year"].isin(years)]
    if "basis" in chosen.columns:
        chosen = chosen[chosen["basis"] == basis]
    forces = _forces(area)
    if forces:
        chosen = chosen[chosen["force"].isin(forces)]
    return sorted(set(chosen["force"]))


def assess(figure: dict, tried: pd.DataFrame, unusable: pd.DataFrame | None, releases: dict[str, str]) -> dict:
    """Status, best fit and every reason the data cannot rule out, for one figure and its candidates."""
    value, unit = figure["figure"], figure["unit"]
    caveats = _split(figure["caveats"], ";")
    blocking = [CAVEATS[c][1] for c in caveats if CAVEATS[c][0]]
    other = [CAVEATS[c][1] for c in caveats if not CAVEATS[c][0]]
    computed = tried[tried["ours"].notna()]
    result: dict[str, Any] = {
        "status": "",
        "best_window": None,
        "best_offences": None,
        "best_basis": None,
        "best_ours": None,
        "difference": None,
        "fit": "",
        "reasons": "",
    }
    if computed.empty:
        why = sorted(set(tried["why_not"].dropna()))
        result["status"] = "not reproducible" if blocking else "not in the files read"
        result["fit"] = "nothing to compare: " + "; ".join(why)
        result["reasons"] = "; ".join(blocking + why + other)
        return result
    fitting = computed[computed["fits"]]
    pool = (
        fitting if not fitting.empty else computed.assign(gap=(computed["ours"] - value).abs() / max(abs(value), 1e-9))
    )
    order = ["window_rank", "offences_rank", "basis"] if not fitting.empty else ["gap", "window_rank", "offences_rank"]
    best = pool.sort_values(order, kind="stable").iloc[0]
    result.update(
        best_window=best["window"],
        best_offences=best["offences"],
        best_basis=best["basis"],
        best_ours=float(best["ours"]),
        difference=value - float(best["ours"]),
    )
    same = pool[(pool["window"] == best["window"]) & (pool["offences"] == best["offences"])]
    bases = " and ".join(sorted(same["basis"])) if not fitting.empty else best["basis"]
    result["fit"] = _fit_words(best, same, bases, computed, fitting.empty, value, unit)
    result["status"], reasons = _status(best, bases, blocking, fitting.empty, figure["bound"], tried)
    if result["status"] != "reproduced" or blocking:
        _add_doubts(
            reasons, result["status"], figure, best, computed, fitting.empty, tried, unusable, releases, blocking
        )
    result["reasons"] = "; ".join(dict.fromkeys(reasons + other))
    return result


def _fit_words(best, same: pd.DataFrame, bases: str, computed: pd.DataFrame, none_fit: bool, value, unit: str) -> str:
    """The best fit in words: its window, offences and basis (every basis that fits), how far from
    the figure, and the nearest candidate of another window or grouping."""
    gap = value - best["ours"]
    values = ", ".join(f"{b} {_number(v, unit)}" for b, v in zip(same["basis"], same["ours"]))
    words = (
        f"{best['window']}, {best['offences']}, {bases} basis: {_number(best['ours'], unit)}"
        if len(same) == 1 or none_fit
        else f"{best['window']}, {best['offences']}: {values}"
    )
    if gap and (len(same) == 1 or none_fit):
        words += f" ({_number(abs(gap), unit)} {'below' if gap > 0 else 'above'} the figure"
        words += f", {abs(gap) / abs(value):.1%})" if value else ")"
    others = computed[(computed["window"] != best["window"]) | (computed["offences"] != best["offences"])]
    if not others.empty:
        nearest = others.assign(gap=(others["ours"] - value).abs()).sort_values(["gap", "window_rank"]).iloc[0]
        words += (
            f"; next: {nearest['window']}, {nearest['offences']}, {nearest['basis']} basis "
            f"{_number(nearest['ours'], unit)}"
        )
    return words


def _status(
    best, bases: str, blocking: list[str], none_fit: bool, bound: str, tried: pd.DataFrame
) -> tuple[str, list[str]]:
    """The figure's status and the reasons it rests on so far (the blocking caveats; for a figure
    reproduced, on which basis and whether in our first reading)."""
    reasons = list(blocking)
    if blocking:
        return "not reproducible", reasons
    if none_fit:
        return "differs", reasons
    primary = best["window_rank"] == 0 and best["offences_rank"] == 0
    reasons.append(
        ("matches" if bound == "exact" else "consistent with")
        + f" the {bases} basis"
        + (
            ""
            if primary
            else f" in {best['window']}, {best['offences']}, not our first reading "
            f"({tried.loc[tried['window_rank'] == 0, 'window'].iloc[0]}, "
            f"{tried.loc[tried['offences_rank'] == 0, 'offences'].iloc[0]})"
        )
    )
    return ("reproduced" if primary else "reproduced with a different grouping or window"), reasons


def _add_doubts(
    reasons: list[str],
    status: str,
    figure: dict,
    best,
    computed: pd.DataFrame,
    none_fit: bool,
    tried: pd.DataFrame,
    unusable: pd.DataFrame | None,
    releases: dict[str, str],
    blocking: list[str],
) -> None:
    """Add to ``reasons`` what the data cannot rule out for a figure not plainly reproduced: a
    bound out of reach, another release, what the files do not hold, gaps in coverage."""
    value, bound, unit = figure["figure"], figure["bound"], figure["unit"]
    gap = value - best["ours"]
    if bound in ("at least", "more than") and none_fit:
        reasons.append(
            f"at most {_number(computed['ours'].max(), unit)} in the files read against "
            f"{bound} {_number(value, unit)} published"
        )
    years = parse_window(best["window_years"])
    stamps = ", ".join(sorted({releases.get(y) or "unknown" for y in years}))
    if (
        not blocking
        and none_fit
        and abs(gap) <= REVISION_TOLERANCE * abs(value)
        and unit in ("count", "per_week", "annual_mean", "assigned")
    ):
        reasons.append(
            f"release: another release of the file ({_number(abs(gap), unit)}, {abs(gap) / abs(value):.1%}"
            f" from the {best['basis']} basis of release {stamps}, the size of revisions between releases)"
        )
    for why in sorted(set(tried.loc[tried["ours"].isna(), "why_not"].dropna())):
        if "basis" in why:
            basis = why.split("the ", 1)[1].split(" basis")[0]
            reasons.append(f"the {basis} basis, which the files read do not hold")
        else:
            reasons.append(f"another window or grouping, which the files read cannot check: {why}")
    gaps = _gap_forces(unusable, years, figure["area"], best["basis"])
    if gaps and not blocking:
        reasons.append(f"coverage: data missing or collapsed for {', '.join(gaps)} in {best['window']}")
    if status == "differs" and len(reasons) == (1 if bound in ("at least", "more than") else 0):
        # a gap of 0 that still differs: a "more than" bound equal to ours
        difference = (
            f"{_number(abs(gap), unit)} {'more' if gap > 0 else 'fewer'} published than the nearest"
            if gap
            else "the nearest equals the published bound"
        )
        reasons.append(f"a different offence set or counting rule: {difference} ({best['basis']} basis)")


def reconcile(
    outcomes,
    unusable=None,
    releases: dict[str, str] | None = None,
    published: pd.DataFrame | None = None,
    *,
    synthetic: bool = False,
) -> Reconciliation:
    """Every published figure against the outcomes (the tidy table, polars or pandas).

    ``unusable`` lists force-quarters missing or collapsed (``quality.unusable_quarters``, either frame
    type); ``releases`` gives each year's file release (date stamp). On synthetic data the status and the
    reasons say only 'synthetic': the numbers show the machinery, nothing more.
    """
    published = published if published is not None else published_figures()
    releases = releases or {}
    if unusable is not None and not isinstance(unusable, pd.DataFrame):
        unusable = unusable.to_pandas()
    cells = aggregate(outcomes)
    figures, candidates = [], []
    for figure in published.to_dict("records"):
        attempts = []
        for w_rank, window in enumerate(_split(figure["windows"], "|")):
            years = parse_window(window)
            for o_rank, selection in enumerate(parse_offences(figure["offences"])):
                for basis in COUNT_BASES:
                    ours, why = our_value(cells, years, selection, basis, figure["area"], figure["unit"])
                    attempts.append(
                        {
                            "id": figure["id"],
                            "window": window_words(years),
                            "window_years": window,
                            "window_rank": w_rank,
                            "offences": offence_words(selection),
                            "offences_rank": o_rank,
                            "basis": basis,
                            "ours": ours,
                            "difference": None if ours is None else figure["figure"] - ours,
                            "fits": fits(figure["figure"], figure["bound"], ours),
                            "why_not": why,
                        }
                    )
        tried = pd.DataFrame(attempts)
        tried["ours"] = tried["ours"].astype("float64")
        tried["difference"] = tried["difference"].astype("float64")
        verdict = assess(figure, tried, unusable, releases)
        if synthetic:
            verdict.update(status=SYNTHETIC, reasons=SYNTHETIC)
        first = tried[(tried["window_rank"] == 0) & (tried["offences_rank"] == 0)].set_index("basis")["ours"]
        figures.append(
            {
                "id": figure["id"],
                "shared_row": figure["shared_row"],
                "published": published_text(figure),
                "figure": figure["figure"],
                "bound": figure["bound"],
                "unit": figure["unit"],
                "reading": figure["reading"],
                "window": window_words(parse_window(_split(figure["windows"], "|")[0])),
                "area": figure["area"].replace(";", ", "),
                "offences": offence_words(parse_offences(figure["offences"])[0]),
                **{f"ours_{basis}": first.get(basis) for basis in COUNT_BASES},
                **verdict,
                "published_by": figure["published_by"],
                "source_url": figure["source_url"],
                "ours_from": "SYNTHETIC sample (invented)" if synthetic else "Home Office open data",
            }
        )
        candidates.append(tried.drop(columns=["window_rank", "offences_rank", "window_years"]))
    table = pd.DataFrame(figures)
    for column in ("ours_closed", "ours_recorded", "best_ours", "difference"):
        table[column] = table[column].astype("float64")
    return Reconciliation(table, pd.concat(candidates, ignore_index=True), synthetic)


def published_text(figure: Mapping[Any, Any]) -> str:
    prefix = {"exact": "", "approx": "about ", "at least": "at least ", "more than": "more than "}[figure["bound"]]
    unit = figure["unit"]
    value = figure["figure"]
    # a figure as published: 0.4 a week stays 0.4, never rounded to 0
    number = f"{value:g}%" if unit.startswith("pct") else f"{value:,.0f}" if value.is_integer() else f"{value:,}"
    suffix = {"per_week": " a week", "annual_mean": " a year", "assigned": " assigned outcomes"}.get(unit, "")
    return prefix + number + suffix


def figures_for_analysis(analysis) -> pd.DataFrame:
    """The published figures that concern the analysis' question, judged on the chosen year's rows,
    as the build judges whether report 04 runs at all (so that the index, report 04 and summary.json
    never disagree about them)."""
    import polars as pl

    year_rows = analysis.rows.filter(pl.col("financial_year") == analysis.financial_year)
    return figures_for_question(analysis.question, year_rows)


def reconciliation(analysis, published: pd.DataFrame | None = None) -> Reconciliation:
    """The reconciliation of one analysis (notebook 04 and summary.json both call this): every published
    figure (for another question than the default, those that concern it: ``figures_for_question``)
    against every year the analysis read, with missing or collapsed force data on both bases."""
    from crimeoutcomes.stats.quality import unusable_quarters

    if published is None and not analysis.question.is_default:
        published = figures_for_analysis(analysis)

    unusable = [
        unusable_quarters(analysis.rows, basis, analysis.recorded_crime).to_pandas().assign(basis=basis)
        for basis in COUNT_BASES
        if analysis.rows[basis].is_not_null().any()
    ]  # bases the files hold
    gaps = pd.concat(unusable, ignore_index=True) if unusable else None
    return reconcile(analysis.rows, gaps, analysis.releases(), published, synthetic=analysis.synthetic)


# --- pandas helpers for the notebook ---------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    """Ours or a figure in its unit, as text ('899', '17.3', '2.9%', 'n/a')."""
    return _number(value, unit)
