"""The 2024/25 forces' sizes for the stats simulations: computed from ../shared/realdata when it is
there, else the same figures written down (computed from it once; sizes only, no other data)."""

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(os.environ.get("CRIMEOUTCOMES_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REAL_ROWS = SHARED / "realdata" / "outcomes_2024_25_recorded_subset.parquet"

# Assigned sexual-offence outcomes per force, 2024/25, recorded basis (Offence Group 'Sexual
# offences', Outcome Type not 0), forces in alphabetical order.
FALLBACK_N = [
    6239,
    2014,
    2130,
    2650,
    3844,
    2467,
    1613,
    3362,
    5932,
    2057,
    2128,
    1562,
    5450,
    1841,
    11029,
    1672,
    6676,
    2707,
    2034,
    6304,
    5325,
    3805,
    2231,
    194,
    4280,
    18637,
    2956,
    2175,
    1820,
    2705,
    5130,
    3715,
    4020,
    4940,
    3399,
    2411,
    2564,
    5472,
    6100,
    1708,
    3398,
    10837,
    8904,
    1938,
]
# National share of community resolutions (type 8) in them, 899 / 182,375, and the between-force
# variance on the arcsine scale that funnel_table estimates from the real counts.
FALLBACK_SHARE = 899 / 182375
FALLBACK_TAU2 = 0.001467


@lru_cache(maxsize=1)
def real_counts() -> pd.DataFrame | None:
    """unit, events (community resolutions), n (assigned outcomes) per force, or None offline."""
    if not REAL_ROWS.exists():
        return None
    rows = pd.read_parquet(REAL_ROWS, columns=["Force", "Offence Group", "Outcome Type", "n"])
    sexual = rows[(rows["Offence Group"] == "Sexual offences") & (rows["Outcome Type"] != 0)]
    n = sexual.groupby("Force", sort=True)["n"].sum()
    events = sexual[sexual["Outcome Type"] == 8].groupby("Force")["n"].sum().reindex(n.index, fill_value=0)
    return pd.DataFrame({"unit": n.index, "events": events.to_numpy().astype(int), "n": n.to_numpy().astype(int)})


def forces_n() -> np.ndarray:
    counts = real_counts()
    return np.array(FALLBACK_N if counts is None else counts["n"], dtype=float)


def real_share_and_tau2() -> tuple[float, float]:
    """The national share and tau^2 (arcsine scale) of the real share-of-assigned funnel."""
    counts = real_counts()
    if counts is None:
        return FALLBACK_SHARE, FALLBACK_TAU2
    from crimeoutcomes.stats import funnel_table

    table = funnel_table(counts, "proportion")
    return float(table["target"].iloc[0]), float(table["tau2"].iloc[0])


def sexual_offence_cells() -> pd.DataFrame:
    """Per force and offence code, the real 2024/25 community resolutions and assigned outcomes of
    sexual offences (each row's code joined by its position, as ``realdata_rebuild`` does it)."""
    from realdata_rebuild import real_outcome_rows

    rows = real_outcome_rows(SHARED).select("Force", "Offence Group", "outcome_type", "n", "code").to_pandas()
    sexual = rows[(rows["Offence Group"] == "Sexual offences") & (rows["outcome_type"] != "0")]
    return (
        sexual.assign(cr=np.where(sexual["outcome_type"] == "8", sexual["n"], 0))
        .groupby(["Force", "code"], as_index=False)
        .agg(community_resolutions=("cr", "sum"), assigned_outcomes=("n", "sum"))
        .rename(columns={"Force": "force", "code": "offence_code"})
    )
