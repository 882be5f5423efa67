"""Headline figures computed independently of crimeoutcomes.stats.measures, with plain pandas.

Input: one row per force x quarter x offence code x outcome type with the columns force,
quarter, offence_group, offence_code, outcome_type (text), expired (bool) and count (float, NaN
where the data was not provided). The rules, as the README's Definitions state them: outcome type 0 and
expired codes count nothing; a force with any NaN count in the year, or with a quarter whose
outcomes collapsed (``collapsed``: force -> quarters, as the generator planted them), is null;
national totals add what the file holds.
"""

import pandas as pd

SEXUAL = "Sexual offences"
CHILD_CODES = ["19D", "19E", "19G", "19H", "17B", "20B", "21", "22B", "71", "73", "88A"]
CHILD_RAPE = ["19D", "19E", "19G", "19H"]
CHARGE_AND_OOC = ["1", "2", "3", "6", "7", "8"]


def _int(value) -> int:
    return int(round(float(value)))


def expected_figures(rows: pd.DataFrame, all_forces, collapsed: dict | None = None) -> dict:
    rows = rows[(rows["outcome_type"] != "0") & ~(rows["expired"] & rows["count"].isna())]
    sexual = rows[rows["offence_group"] == SEXUAL]
    cr = sexual[sexual["outcome_type"] == "8"]
    by_force, assigned_by_force = {}, {}
    for force in all_forces:
        mine = sexual[sexual["force"] == force]
        complete = (
            len(mine)
            and not mine["count"].isna().any()
            and mine["quarter"].nunique() == 4  # a full year
            and not (collapsed or {}).get(force)
        )
        by_force[force] = _int(mine.loc[mine["outcome_type"] == "8", "count"].sum()) if complete else None
        assigned_by_force[force] = _int(mine["count"].sum()) if complete else None
    child_rape = cr[cr["offence_code"].isin(CHILD_RAPE)].groupby("force")["count"].sum()
    return {
        "community_resolutions": _int(cr["count"].sum()),
        "assigned_outcomes": _int(sexual["count"].sum()),
        "charges_and_out_of_court": _int(sexual.loc[sexual["outcome_type"].isin(CHARGE_AND_OOC), "count"].sum()),
        "all_offences_community_resolutions": _int(rows.loc[rows["outcome_type"] == "8", "count"].sum()),
        "by_force": by_force,
        "assigned_by_force": assigned_by_force,
        "by_code": {code: _int(value) for code, value in cr.groupby("offence_code")["count"].sum().items()},
        "child_victim_community_resolutions": _int(cr.loc[cr["offence_code"].isin(CHILD_CODES), "count"].sum()),
        "forces_using_cr_for_child_rape": sorted(child_rape[child_rape > 0].index),
    }


def from_tidy(frame, basis: str) -> pd.DataFrame:
    """The columns above from a tidy outcomes table (polars), counted on ``basis``."""
    data = frame.to_pandas()
    return pd.DataFrame(
        {
            "force": data["force"],
            "quarter": data["quarter"],
            "offence_group": data["offence_group"],
            "offence_code": data["offence_code"],
            "outcome_type": data["outcome_type"].astype(str),
            "expired": data["offence_code_expired"].fillna(False).astype(bool),
            "count": pd.to_numeric(data[basis], errors="coerce").astype(float),
        }
    )


def from_real_rows(real_rows) -> pd.DataFrame:
    """The columns above from the real 2024/25 rows (realdata_rebuild.real_outcome_rows), recorded basis."""
    data = real_rows.to_pandas()
    return pd.DataFrame(
        {
            "force": data["Force"],
            "quarter": data["quarter"],
            "offence_group": data["Offence Group"],
            "offence_code": data["code"],
            "outcome_type": data["outcome_type"].astype(str),
            "expired": data["expired"].astype(bool),
            "count": data["n"].astype(float),
        }
    )
