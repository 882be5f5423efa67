"""A synthetic sample in the exact published layout, for offline use, tests and benchmarks.

Every number here is invented. The generator first builds the tidy table it means the reader
to return (the "truth"), then renders it as the Home Office publishes it: Cover_sheet, Notes,
Pivot and the data sheet; dense rows with zeros; the vintage's sheet name and outcome types;
markers for expired codes, type-0 closed counts and forces that did not provide data; negative
type-0 counts; the published row order. A matching recorded-crime file (one sheet per year)
holds, for every force, quarter and live code, exactly the sum over outcome types of the
recorded-basis outcomes, as in the real files. Every workbook says SYNTHETIC on its cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from crimeoutcomes.config import SYNTHETIC_MARK
from crimeoutcomes.data.cache import file_sha256
from crimeoutcomes.data.codes import NOT_YET_ASSIGNED, SEXUAL_OFFENCES_GROUP, forces, outcome_types
from crimeoutcomes.data.manifest import save_manifest
from crimeoutcomes.data.schema import OUTCOMES_COLUMNS, RECORDED_CRIME_COLUMNS
from crimeoutcomes.data.years import financial_years_between, start_year
from crimeoutcomes.synthetic.codes import SampleOffence, group_share, sample_offences
from crimeoutcomes.synthetic.releases import CURRENT_RELEASE, EARLIER_RELEASE, earlier_release
from crimeoutcomes.synthetic.writer import Sheet, mixed_cells, write_workbook

DEFAULT_YEARS = tuple(financial_years_between("2014/15", "2024/25"))
RECORDED_CRIME_FIRST_YEAR = "2012/13"
SEED = 20260723
#: Bump when the generator's output changes, so that an older sample on disk is written again.
SAMPLE_VERSION = 2

EXPIRED_MARKER = "N/A - Offence code expired"
NOT_PROVIDED_MARKER = "N/A - data not provided"

PUBLISHED_HEADERS = {
    "current": {
        "financial_year": "Financial Year",
        "quarter": "Financial Quarter",
        "force": "Force Name",
        "offence_code": "Offence Code",
        "offence_description": "Offence Description",
        "offence_group": "Offence Group",
        "offence_subgroup": "Offence Subgroup",
        "offence_code_expired": "Offence code expired",
        "outcome_type": "Outcome Type",
        "outcome_description": "Outcome Description",
        "outcome_group": "Outcome Group",
        "recorded": "Outcomes for offences that were recorded in the quarter",
        "closed": "Outcomes for investigations closed in the quarter",
    },
}
# The wording an older unit test of another project expected; kept as a variant to read.
PUBLISHED_HEADERS["older"] = {
    **PUBLISHED_HEADERS["current"],
    "offence_code_expired": "Offence Code Expired",
    "recorded": "Number of Outcomes for offences that were recorded in the quarter",
    "closed": "Number of Outcomes for investigations that were closed in the quarter",
}
RECORDED_CRIME_HEADERS = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
]

# Relative size of each force (invented round numbers of the order of their populations).
_FORCE_SIZE = {
    "Metropolitan Police": 9.0,
    "West Midlands": 2.9,
    "Greater Manchester": 2.8,
    "Thames Valley": 2.4,
    "West Yorkshire": 2.3,
    "Hampshire": 2.0,
    "Kent": 1.9,
    "Essex": 1.8,
    "Devon and Cornwall": 1.8,
    "Avon and Somerset": 1.7,
    "Sussex": 1.7,
    "Lancashire": 1.5,
    "Northumbria": 1.5,
    "South Yorkshire": 1.4,
    "Merseyside": 1.4,
    "West Mercia": 1.3,
    "South Wales": 1.3,
    "Hertfordshire": 1.2,
    "Surrey": 1.2,
    "Nottinghamshire": 1.2,
    "Staffordshire": 1.1,
    "Leicestershire": 1.1,
    "Cheshire": 1.1,
    "Derbyshire": 1.0,
    "Humberside": 0.9,
    "Norfolk": 0.9,
    "Cambridgeshire": 0.9,
    "Lincolnshire": 0.8,
    "Northamptonshire": 0.8,
    "Suffolk": 0.8,
    "Dorset": 0.8,
    "North Yorkshire": 0.8,
    "Wiltshire": 0.7,
    "Bedfordshire": 0.7,
    "North Wales": 0.7,
    "Gloucestershire": 0.6,
    "Cleveland": 0.6,
    "Durham": 0.6,
    "Warwickshire": 0.6,
    "Gwent": 0.6,
    "Dyfed-Powys": 0.5,
    "Cumbria": 0.5,
    "British Transport Police": 0.4,
    "London, City of": 0.05,
}
# Forces that use community resolutions more (or less) than the rest, so the force comparison has shape.
_FORCE_CR_FACTOR = {
    "Lancashire": 5.0,
    "Humberside": 2.0,
    "Cheshire": 2.0,
    "Wiltshire": 2.5,
    "Metropolitan Police": 0.4,
    "West Midlands": 0.8,
}

# Outcome mix (recorded basis) before the community-resolution share is set; invented.
_SEXUAL_MIX = {
    "0": 0.13,
    "1": 0.07,
    "2": 0.002,
    "3": 0.003,
    "4": 0.0005,
    "5": 0.001,
    "6": 0.0,
    "7": 0.0,
    "9": 0.001,
    "10": 0.002,
    "11": 0.008,
    "12": 0.008,
    "13": 0.002,
    "14": 0.09,
    "15": 0.19,
    "16": 0.29,
    "17": 0.001,
    "18": 0.15,
    "19": 0.0,
    "20": 0.03,
    "21": 0.013,
    "22": 0.006,
}
_OTHER_MIX = {
    "0": 0.03,
    "1": 0.10,
    "2": 0.004,
    "3": 0.02,
    "4": 0.002,
    "5": 0.0005,
    "6": 0.002,
    "7": 0.0002,
    "9": 0.001,
    "10": 0.01,
    "11": 0.005,
    "12": 0.01,
    "13": 0.001,
    "14": 0.15,
    "15": 0.08,
    "16": 0.12,
    "17": 0.008,
    "18": 0.40,
    "19": 0.0,
    "20": 0.03,
    "21": 0.02,
    "22": 0.012,
}


@dataclass(frozen=True)
class OutcomesLayout:
    """How a synthetic outcomes workbook is laid out: the published defaults, or a variant to test."""

    headers: str = "current"  # or "older"
    title_rows: tuple[tuple[object, ...], ...] = ()  # a title block above the header
    extra_column: bool = False  # an unknown column the reader must ignore
    reverse_columns: bool = False  # columns in another order: headers are matched by name
    sheet_name: str | None = None  # None: the vintage's own data-sheet name


@dataclass
class SampleFiles:
    """What write_sample() wrote."""

    folder: Path
    outcomes: dict[str, Path] = field(default_factory=dict)  # financial year -> workbook (current release)
    recorded_crime: Path | None = None
    earlier_release: Path | None = None  # an earlier release of the last year


def data_sheet_name(financial_year: str) -> str:
    """The data sheet's name in that year's file; punctuation varies by vintage."""
    start, end = financial_year[:4], financial_year[5:]
    year = start_year(financial_year)
    if year <= 2018:
        return f"Outcomes_open_data_{start}-{end}"
    if year == 2021 or year >= 2024:
        return f"Outcomes open data {start}_{end}"
    return f"Outcomes_open_data_{start}_{end}"


#: Outcome 22 (diversionary activity) began in April 2019, as the caveat 'outcome-22-voluntary'
#: in reference/caveats.csv says (tests/test_sample.py holds the two together).
OUTCOME_22_FIRST_YEAR = 2019


def outcome_types_in(financial_year: str) -> list[str]:
    """Types 0-18 in 2014/15; 0-21 to 2018/19; 0-22 from 2019/20; from 2024/25 no type 19."""
    year = start_year(financial_year)
    last = 18 if year <= 2014 else 22 if year >= OUTCOME_22_FIRST_YEAR else 21
    return [str(t) for t in range(last + 1) if not (t == 19 and year >= 2024)]


def _sexual_offences_total(financial_year: str) -> float:
    return 90_000 + 12_000 * (start_year(financial_year) - 2014)


def _all_crime_total(financial_year: str) -> float:
    return 4_500_000 + 60_000 * (start_year(financial_year) - 2014)


def _rng(financial_year: str, purpose: int) -> np.random.Generator:
    return np.random.default_rng([SEED, start_year(financial_year), purpose])


def _code_weights(offences: Sequence[SampleOffence]) -> dict[str, float]:
    """Each live code's share of its group, renormalised over the codes the sample holds."""
    totals: dict[str, float] = {}
    for o in offences:
        totals[o.group] = totals.get(o.group, 0.0) + o.share
    return {o.code: (o.share / totals[o.group] if totals[o.group] else 0.0) for o in offences}


def _offences_in(financial_year: str, full_size: bool) -> list[SampleOffence]:
    return [o for o in sample_offences(full_size) if o.present_in(financial_year)]


def _expected_offences(financial_year: str, offences: Sequence[SampleOffence]) -> np.ndarray:
    """Mean recorded offences per force x quarter x code."""
    sizes = np.array([_FORCE_SIZE[f] for f in forces()])
    sizes = sizes / sizes.sum()
    weights = _code_weights(offences)
    per_code = np.array(
        [
            0.0
            if o.expired
            else weights[o.code]
            * (
                _sexual_offences_total(financial_year)
                if o.group == SEXUAL_OFFENCES_GROUP
                else _all_crime_total(financial_year) * group_share(o.group)
            )
            for o in offences
        ]
    )
    return sizes[:, None, None] * np.full((1, 4, 1), 0.25) * per_code[None, None, :]


def recorded_offences(financial_year: str, full_size: bool = False) -> tuple[list[SampleOffence], np.ndarray]:
    """Recorded offences per force x quarter x code (the recorded-crime file's numbers)."""
    offences = _offences_in(financial_year, full_size)
    return offences, _rng(financial_year, 1).poisson(_expected_offences(financial_year, offences))


def _outcome_probabilities(offences: Sequence[SampleOffence], types: Sequence[str]) -> np.ndarray:
    """force x code x type probabilities of each outcome type."""
    probs = np.zeros((len(forces()), len(offences), len(types)))
    for j, o in enumerate(offences):
        mix = _SEXUAL_MIX if o.group == SEXUAL_OFFENCES_GROUP else _OTHER_MIX
        base = np.array([mix.get(t, 0.0) for t in types])
        for i, force in enumerate(forces()):
            row = base.copy()
            if "8" in types:
                row[types.index("8")] = o.cr_rate * _FORCE_CR_FACTOR.get(force, 1.0)
            probs[i, j] = row / row.sum()
    return probs


def _collapsed(financial_year: str) -> dict[str, list[int]]:
    """Force -> quarters whose outcomes collapse without a marker (as Greater Manchester 2019/20
    and Devon and Cornwall from late 2022): all offences stay 'not yet assigned'."""
    year = start_year(financial_year)
    gaps: dict[str, list[int]] = {}
    if year == 2019:
        gaps["Greater Manchester"] = [2, 3, 4]
    if year == 2022:
        gaps["Devon and Cornwall"] = [3, 4]
    elif year >= 2023:
        gaps["Devon and Cornwall"] = [1, 2, 3, 4]
    return gaps


def _not_provided(financial_year: str) -> dict[str, list[int]]:
    """Force -> quarters marked 'N/A - data not provided' (as in the 2014/15 file)."""
    if start_year(financial_year) != 2014:
        return {}
    return {
        "British Transport Police": [1, 2, 3, 4],
        "Cumbria": [1, 2, 3, 4],
        "Leicestershire": [1, 2, 3, 4],
        "Metropolitan Police": [2, 3, 4],
        "Bedfordshire": [4],
        "Hertfordshire": [4],
        "South Yorkshire": [1],
    }


def outcomes_truth(
    financial_year: str, full_size: bool = False, quarters: Sequence[int] = (1, 2, 3, 4)
) -> pl.DataFrame:
    """The tidy table that reading this year's synthetic workbook must give, in file row order."""
    offences, offences_n = recorded_offences(financial_year, full_size)
    types = outcome_types_in(financial_year)
    force_names = list(forces())
    probs = _outcome_probabilities(offences, types)
    rng = _rng(financial_year, 2)
    n_f, n_q, n_c, n_t = len(force_names), 4, len(offences), len(types)

    recorded = np.zeros((n_f, n_q, n_c, n_t), dtype=np.int64)
    closed = np.zeros((n_f, n_q, n_c, n_t), dtype=np.int64)
    closing = rng.poisson(offences_n * 0.93)
    assigned_probs = probs.copy()
    assigned_probs[..., 0] = 0.0
    assigned_probs /= np.where(assigned_probs.sum(-1, keepdims=True) > 0, assigned_probs.sum(-1, keepdims=True), 1)
    for i in range(n_f):
        for j in range(n_c):
            if offences[j].expired:
                continue
            recorded[i, :, j, :] = rng.multinomial(offences_n[i, :, j], probs[i, j])
            closed[i, :, j, :] = rng.multinomial(closing[i, :, j], assigned_probs[i, j])

    for force, qs in _collapsed(financial_year).items():
        i = force_names.index(force)
        for q in qs:
            recorded[i, q - 1, :, 0] = recorded[i, q - 1].sum(-1)
            recorded[i, q - 1, :, 1:] = 0
            closed[i, q - 1] = np.minimum(closed[i, q - 1], rng.integers(0, 2, closed[i, q - 1].shape))
    _add_negative_type0(financial_year, recorded, offences, force_names, types)

    index = pl.DataFrame(
        {
            "force": np.repeat(force_names, n_q * n_c * n_t),
            "quarter": np.tile(np.repeat(np.arange(1, n_q + 1), n_c * n_t), n_f),
            "code_index": np.tile(np.repeat(np.arange(n_c), n_t), n_f * n_q),
            "outcome_type": np.tile(types, n_f * n_q * n_c),
            "recorded": recorded.reshape(-1),
            "closed": closed.reshape(-1),
        }
    )
    codes = pl.DataFrame(
        {
            "code_index": np.arange(n_c),
            "offence_code": [o.code for o in offences],
            "offence_description": [o.description for o in offences],
            "offence_group": [o.group for o in offences],
            "offence_subgroup": [o.subgroup for o in offences],
            "offence_code_expired": [o.expired for o in offences],
        }
    )
    outcome_info = pl.DataFrame(
        {
            "outcome_type": [t.code for t in outcome_types()],
            "outcome_description": [t.description for t in outcome_types()],
            "outcome_group": [t.group for t in outcome_types()],
        }
    )
    frame = index.join(codes, on="code_index", how="left").join(outcome_info, on="outcome_type", how="left")
    frame = frame.filter(pl.col("quarter").is_in(list(quarters)))
    frame = _apply_markers(frame, financial_year)
    frame = frame.with_columns(financial_year=pl.lit(financial_year), quarter=pl.col("quarter").cast(pl.Int8))
    return _published_order(frame).select([pl.col(c).cast(t) for c, t in OUTCOMES_COLUMNS.items()])


def _add_negative_type0(financial_year, recorded, offences, force_names, types) -> None:
    """A few negative 'not yet assigned' counts (published corrections), as Humberside's in 2024/25."""
    if start_year(financial_year) not in (2014, 2024):
        return
    i = force_names.index("Humberside")
    t18 = types.index("18")
    live = [j for j, o in enumerate(offences) if not o.expired]
    for j in live[:5]:
        moved = recorded[i, 0, j, 0] + 1 + j % 3  # leaves type 0 at -(1 + j % 3)
        recorded[i, 0, j, 0] -= moved
        recorded[i, 0, j, t18] += moved


def _apply_markers(frame: pl.DataFrame, financial_year: str) -> pl.DataFrame:
    year = start_year(financial_year)
    expired_marker = EXPIRED_MARKER if year % 2 == 0 else EXPIRED_MARKER.replace("Offence", "offence")
    type0_marker = "NA" if year == 2015 else "N/A"
    gaps = _not_provided(financial_year)
    not_provided = pl.lit(False)
    for force, qs in gaps.items():
        not_provided = not_provided | ((pl.col("force") == force) & pl.col("quarter").is_in(qs))
    type0 = pl.col("outcome_type") == NOT_YET_ASSIGNED
    expired = pl.col("offence_code_expired")
    return frame.with_columns(
        recorded=pl.when(not_provided | expired).then(None).otherwise(pl.col("recorded")),
        closed=pl.when(not_provided | type0).then(None).otherwise(pl.col("closed")),
        note=pl.when(not_provided)
        .then(pl.lit(NOT_PROVIDED_MARKER))
        .when(expired & type0)
        .then(pl.lit(f"recorded: {expired_marker}; closed: {type0_marker}"))
        .when(expired)
        .then(pl.lit(expired_marker))
        .when(type0)
        .then(pl.lit(type0_marker)),
    )


def _published_order(frame: pl.DataFrame) -> pl.DataFrame:
    """All type-0 rows first, then the rest; quarter, force, code (text order), type (text order)."""
    return (
        frame.with_columns(__not_type0=pl.col("outcome_type") != NOT_YET_ASSIGNED)
        .sort(["__not_type0", "quarter", "force", "offence_code", "outcome_type"])
        .drop("__not_type0")
    )


def _count_cells(column: str) -> pl.Expr:
    """The published cell: the number, or where it is NA the marker this column carries."""
    note = pl.col("note")
    marker = (
        pl.when(note.str.starts_with("recorded: ")).then(note.str.extract(rf"{column}: ([^;]*)", 1)).otherwise(note)
    )
    return mixed_cells(pl.col(column), pl.when(pl.col(column).is_null()).then(marker))


def published_outcomes_table(truth: pl.DataFrame, layout: OutcomesLayout = OutcomesLayout()) -> Sheet:
    headers = PUBLISHED_HEADERS[layout.headers]
    table = truth.select(
        pl.col("financial_year"),
        pl.col("quarter").cast(pl.Int64),
        pl.col("force"),
        pl.col("offence_code"),
        pl.col("offence_description"),
        pl.col("offence_group"),
        pl.col("offence_subgroup"),
        pl.when(pl.col("offence_code_expired")).then(pl.lit("x")).alias("offence_code_expired"),
        pl.col("outcome_type").cast(pl.Int64),
        pl.col("outcome_description"),
        pl.col("outcome_group"),
        _count_cells("recorded").alias("recorded"),
        _count_cells("closed").alias("closed"),
    )
    names = [headers[c] for c in table.columns]
    if layout.extra_column:
        table = table.with_columns(pl.lit("unrelated").alias("extra"))
        names.append("Region (added column)")
    if layout.reverse_columns:
        table = table.select(table.columns[::-1])
        names = names[::-1]
    financial_year = truth["financial_year"][0]
    return Sheet(
        layout.sheet_name or data_sheet_name(financial_year), rows=layout.title_rows, table=table, header=names
    )


def _cover(title: str) -> Sheet:
    return Sheet(
        "Cover_sheet",
        rows=[
            [f"{SYNTHETIC_MARK}: {title}"],
            [
                f"{SYNTHETIC_MARK} - every number in this workbook is invented by the crimeoutcomes sample "
                "generator. It is not official statistics and must not be quoted as such."
            ],
            ["Layout copied from the Home Office police recorded crime and outcomes open data tables."],
        ],
    )


def _pivot(truth: pl.DataFrame) -> Sheet:
    """A summary whose first rows are figures, as the published Pivot sheet's are."""
    by_group = truth.group_by("outcome_group").agg(pl.col("recorded").sum()).sort("outcome_group")
    rows: list[list[object]] = [[int(truth["recorded"].sum()), None], [None, None]]
    rows += [[g, int(n)] for g, n in by_group.iter_rows()]
    return Sheet("Pivot", rows=rows)


def outcomes_workbook_sheets(truth: pl.DataFrame, layout: OutcomesLayout = OutcomesLayout()) -> list[Sheet]:
    year = truth["financial_year"][0]
    return [
        _cover(f"Outcomes open data, year ending March {start_year(year) + 1}"),
        Sheet(
            "Notes",
            rows=[
                ["Notes"],
                [f"{SYNTHETIC_MARK}."],
                ["N/A - data not provided: the force did not supply data for the quarter."],
            ],
        ),
        _pivot(truth),
        published_outcomes_table(truth, layout),
    ]


# ---------------------------------------------------------------- recorded crime (PFA) file

_FRAUD_BODIES = {  # (first year, last year) -> bodies: (force name, code, subgroup, description)
    "early": [
        ("Action Fraud", "AF", "Fraud: Action Fraud", "Fraud offences recorded by Action Fraud"),
        ("Cifas", "CIFAS", "Fraud: CIFAS", "Fraud offences recorded by CIFAS"),
        (
            "Financial Fraud Action UK",
            "FFA UK",
            "Fraud: Financial Fraud Action UK",
            "Fraud offences recorded by Financial Fraud Action UK",
        ),
    ],
    "late": [
        ("Action Fraud", "AF", "Fraud: Action Fraud", "Fraud offences recorded by Action Fraud"),
        ("CIFAS", "CIFAS", "Fraud: CIFAS", "Fraud offences recorded by CIFAS"),
        ("UK Finance", "UK Finance", "Fraud: UK Finance", "Fraud offences recorded by UK Finance"),
    ],
}


def recorded_crime_truth(
    financial_years: Sequence[str], full_size: bool = False, last_year_quarters: Sequence[int] = (1, 2, 3, 4)
) -> pl.DataFrame:
    """The tidy recorded-crime table that reading the synthetic PFA file must give."""
    frames = []
    for n, year in enumerate(financial_years):
        offences, counts = recorded_offences(year, full_size)
        rows = []
        for i, force in enumerate(forces()):
            for q in range(1, 5):
                for j, o in enumerate(offences):
                    if o.expired:
                        continue
                    rows.extend(_pfa_rows(year, force, q, o, int(counts[i, q - 1, j])))
        frame = pl.DataFrame(
            rows,
            schema=[
                "financial_year",
                "quarter",
                "force",
                "offence_code",
                "offence_description",
                "offence_group",
                "offence_subgroup",
                "offences",
            ],
            orient="row",
        )
        frame = frame.sort(["quarter", "force", "offence_description"])
        fraud = pl.DataFrame(
            [
                (year, q, name, code, description, "Fraud offences", subgroup, 1000 * (q + k))
                for q in range(1, 5)
                for k, (name, code, subgroup, description) in enumerate(
                    _FRAUD_BODIES["early" if start_year(year) < 2017 else "late"]
                )
            ],
            schema=frame.columns,
            orient="row",
        )
        # Fraud bodies interleave alphabetically to 2014/15 and follow the forces from 2015/16.
        frame = (
            pl.concat([frame, fraud]).sort(["quarter", "force", "offence_description"])
            if start_year(year) < 2015
            else pl.concat([frame, fraud])
        )
        if n == len(financial_years) - 1:
            frame = frame.filter(pl.col("quarter").is_in(list(last_year_quarters)))
        if start_year(year) <= 2013:
            # A few unreadable cells ('N/a'), as in the real file.
            frame = frame.with_columns(
                offences=pl.when(
                    (pl.col("offence_code") == "66") & (pl.col("force") == "Kent") & (pl.col("quarter") < 3)
                )
                .then(None)
                .otherwise(pl.col("offences"))
            )
        frames.append(frame)
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in RECORDED_CRIME_COLUMNS.items()])


def _pfa_rows(year: str, force: str, quarter: int, offence: SampleOffence, count: int):
    description = offence.description
    if offence.code == "71" and start_year(year) == 2012:
        description = "Abuse of children through prostitution and pornography"
    if offence.code == "72" and start_year(year) == 2014 and force == "Bedfordshire" and quarter == 2:
        description = "Threats to kill"  # a data error in the real 2014_15 sheet, kept as published
    if not offence.pfa_parts:
        return [(year, quarter, force, offence.code, description, offence.group, offence.subgroup, count)]
    # The outcomes files' combined homicide code is four codes here: split deterministically.
    shares = [p[2] for p in offence.pfa_parts]
    parts = np.floor(np.array(shares) * count).astype(int)
    parts[0] += count - parts.sum()
    return [
        (year, quarter, force, code, desc, offence.group, offence.subgroup, int(n))
        for (code, desc, _), n in zip(offence.pfa_parts, parts)
    ]


def recorded_crime_sheets(truth: pl.DataFrame) -> list[Sheet]:
    sheets = [
        _cover("Police recorded crime open data Police Force Area tables, year ending March 2013 onwards"),
        Sheet("Notes_", rows=[["Notes"], [f"{SYNTHETIC_MARK}."]]),
    ]
    for year in truth["financial_year"].unique(maintain_order=True):
        part = truth.filter(pl.col("financial_year") == year)
        table = part.select(
            "financial_year",
            pl.col("quarter").cast(pl.Int64),
            "force",
            "offence_description",
            "offence_group",
            "offence_subgroup",
            "offence_code",
            mixed_cells(pl.col("offences"), pl.when(pl.col("offences").is_null()).then(pl.lit("N/a"))).alias(
                "offences"
            ),
        )
        header = list(RECORDED_CRIME_HEADERS)
        if year == "2013/14":
            # Three stray duplicate header columns after the eighth, as in the real 2013_14 sheet.
            table = table.with_columns(pl.lit(None, pl.String).alias(f"stray{i}") for i in range(3))
            header += RECORDED_CRIME_HEADERS[:3]
        sheets.append(Sheet(year.replace("/", "_"), table=table, header=header))
    return sheets


# ---------------------------------------------------------------- files


def outcomes_filename(financial_year: str, fmt: str = "xlsx", release: str = CURRENT_RELEASE[0]) -> str:
    """Named as the published files are, with the release's ddmmyy date stamp."""
    return f"synthetic-prc-outcomes-open-data-mar{start_year(financial_year) + 1}-tables-{release}.{fmt}"


RECORDED_CRIME_FILENAME = "synthetic-prc-pfa-mar2013-onwards-tables.ods"


def write_outcomes_workbook(
    path: Path, financial_year: str, *, full_size: bool = False, layout: OutcomesLayout = OutcomesLayout()
) -> pl.DataFrame:
    """Write one year's synthetic outcomes workbook; returns its truth table."""
    truth = outcomes_truth(financial_year, full_size)
    write_workbook(path, outcomes_workbook_sheets(truth, layout))
    return truth


def write_recorded_crime_workbook(path: Path, last_year: str, *, full_size: bool = False) -> pl.DataFrame:
    truth = recorded_crime_truth(financial_years_between(RECORDED_CRIME_FIRST_YEAR, last_year), full_size)
    write_workbook(path, recorded_crime_sheets(truth))
    return truth


def write_sample(
    folder: str | Path,
    years: Sequence[str] = DEFAULT_YEARS,
    *,
    full_size: bool = False,
    fmt: str = "xlsx",
    with_earlier_release: bool = True,
) -> SampleFiles:
    """Write the synthetic sample (outcomes workbooks + recorded-crime file + manifest.json), and
    an earlier release of the last year beside its current one (see ``sample_releases``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(folder)
    entries = []
    for year in years:
        path = folder / outcomes_filename(year, fmt)
        write_outcomes_workbook(path, year, full_size=full_size)
        files.outcomes[year] = path
        entries.append(
            _manifest_entry(
                path,
                f"{SYNTHETIC_MARK}: Outcomes open data, year ending March {start_year(year) + 1}",
                "outcomes",
                year,
                CURRENT_RELEASE,
            )
        )
    if with_earlier_release:
        last = max(years)
        files.earlier_release = folder / outcomes_filename(last, fmt, EARLIER_RELEASE[0])
        write_workbook(
            files.earlier_release, outcomes_workbook_sheets(earlier_release(outcomes_truth(last, full_size)))
        )
        entries.append(
            _manifest_entry(
                files.earlier_release,
                f"{SYNTHETIC_MARK}: Outcomes open data, year ending March {start_year(last) + 1} (earlier release)",
                "outcomes",
                last,
                EARLIER_RELEASE,
            )
        )
    files.recorded_crime = folder / RECORDED_CRIME_FILENAME
    write_recorded_crime_workbook(files.recorded_crime, max(years), full_size=full_size)
    entries.append(
        _manifest_entry(
            files.recorded_crime,
            f"{SYNTHETIC_MARK}: Police recorded crime open data "
            "Police Force Area tables, year ending March 2013 onwards",
            "recorded_crime",
            None,
            CURRENT_RELEASE,
        )
    )
    save_manifest(
        {
            "synthetic": True,
            "generator": "crimeoutcomes.synthetic.sample",
            "seed": SEED,
            "sample_version": SAMPLE_VERSION,
            "full_size": full_size,
            "files": entries,
        },
        folder,
    )
    return files


def _manifest_entry(path: Path, title: str, kind: str, financial_year: str | None, release: tuple[str, str]) -> dict:
    return {
        "filename": path.name,
        "title": title,
        "kind": kind,
        "financial_year": financial_year,
        "url": None,
        "release": release[0],
        "release_date": release[1],
        "retrieved_at": None,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
        "synthetic": True,
    }
