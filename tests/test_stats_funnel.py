"""crimeoutcomes.funnels.funnel: hand-worked formulas, input errors, and seeded simulations of the
null and of the random-effects model at the 2024/25 forces' sizes."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from stats_forces import forces_n, real_counts, real_share_and_tau2

from crimeoutcomes import cli
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.funnels.dispersion import bootstrap_p, spiegelhalter_tau2
from crimeoutcomes.funnels.exact import attained_flag_rates, holm, interpolated_limit, tail_probabilities
from crimeoutcomes.funnels.families import PROPORTION, RATIO
from crimeoutcomes.funnels.predictive import predictive_limit
from crimeoutcomes.funnels.random_effects import LOG_NORMAL, LOGIT_NORMAL, Fit, Nodes, choose_model, nodes_for
from crimeoutcomes.funnels.ranks import rank_intervals, ranks_high_first
from crimeoutcomes.stats import FunnelInputError, flagged, funnel_curves, funnel_table, told_apart_from_middle

NOMINAL = {"95": 0.05, "99_8": 0.002}  # two-sided false-flag rate of an in-control unit


def proportion_frame(events, n, units=None):
    units = units or [f"u{i}" for i in range(len(n))]
    return pd.DataFrame({"unit": units, "events": events, "n": n})


# --- hand-worked formulas --------------------------------------------------------------------------
def test_interpolated_binomial_limit_by_hand():
    # n = 10, target 0.1: P(0) = 0.9^10 = 0.3486784401, P(1) = 0.387420489, P(2) = 0.1937102445,
    # P(3) = 120 * 0.001 * 0.9^7 = 0.057395628; F(2) = 0.9298091736, F(3) = 0.9872048016.
    # 97.5% quantile r = 3, alpha = (F(3) - 0.975) / P(3) = 0.0122048016 / 0.057395628 = 0.2126428,
    # limit = (3 - 0.2126428) / 10 = 0.27873572.
    assert interpolated_limit(PROPORTION, [10], 0.1, 0.975)[0] == pytest.approx(0.27873572, abs=1e-7)
    # 2.5%: r = 0 (F(0) = 0.3487 >= 0.025), alpha = (0.3487 - 0.025) / 0.3487 = 0.928, limit -0.0928
    # unclipped; the possible range starts at 0.
    assert interpolated_limit(PROPORTION, [10], 0.1, 0.025)[0] == 0.0


def test_upper_limit_clipped_where_the_old_curve_went_negative():
    # n = 1, target 0.005: F(0) = 0.995 >= 0.975 so r = 0 and alpha = (0.995 - 0.975) / 0.995 > 0:
    # the interpolated upper 95% limit would be -0.0201.
    assert interpolated_limit(PROPORTION, [1], 0.005, 0.975)[0] == 0.0


def test_flags_from_exact_tails_not_from_the_line():
    # n = 5, target 0.005, one event: P(Y >= 1) = 1 - 0.995^5 = 0.0247512: above the 99.8% line
    # (which is below 1/5) but not flagged at 99.8%; flagged at 95% since 0.02475 < 0.025.
    frame = proportion_frame([1, 0], [5, 100000])
    table = funnel_table(frame, "proportion", target=0.005)
    first = table.iloc[0]
    assert first["p_high"] == pytest.approx(1 - 0.995**5, rel=1e-12)
    assert first["value"] > first["upper_99_8"]
    assert first["outside_99_8"] == "" and first["outside_95"] == "high"


def test_poisson_tail_of_30_against_16_4():
    # P(Y >= 30 | mean 16.4) = 1 - sum_{k<30} e^-16.4 16.4^k / k! = 0.00163 (issue 15): not outside 99.8%.
    direct = 1 - sum(math.exp(-16.4) * 16.4**k / math.factorial(k) for k in range(30))
    table = funnel_table(pd.DataFrame({"unit": ["A", "B"], "observed": [30, 20], "expected": [16.4, 20.0]}))
    assert table["p_high"].iloc[0] == pytest.approx(direct, rel=1e-9)
    assert 0.001 < direct < 0.0025
    assert table["outside_99_8"].iloc[0] == "" and table["outside_95"].iloc[0] == "high"


def test_holm_by_hand():
    # Sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1: 0.04, 0.09, 0.08 -> 0.09 (monotone), 0.5.
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_attained_flag_rates_by_hand():
    # n = 5, target 0.005: high side, smallest y with P(Y >= y) < 0.025 is 1, rate 1 - 0.995^5 = 0.0247512;
    # low side P(Y <= 0) = 0.975, never below 0.025. At 99.8%, y = 2: P(Y >= 2) = 1 - 0.995^5 - 5 * 0.005 * 0.995^4
    # = 0.000246.
    high, low = attained_flag_rates(PROPORTION, [5], 0.005, 0.025)
    assert high[0] == pytest.approx(1 - 0.995**5) and low[0] == 0
    high, _ = attained_flag_rates(PROPORTION, [5], 0.005, 0.001)
    assert high[0] == pytest.approx(1 - 0.995**5 - 5 * 0.005 * 0.995**4)


def test_phi_and_tau2_by_hand():
    # Target 0.25 -> theta0 = asin(0.5) = pi/6; n = 100 each, so se = 1/20.
    # 25/100: z = 0; 50/100: theta = pi/4, z = (pi/12) * 20 = 5.2359878; 0/100: z = -(pi/6) * 20 = -10.4719755.
    # phi = (0 + 27.4155678 + 109.6622711) / 3 = 45.6926130.
    # w = 400 each: sum w - sum w^2 / sum w = 1200 - 400 = 800; tau^2 = (137.0778389 - 2) / 800 = 0.1688473.
    table = funnel_table(proportion_frame([25, 50, 0], [100, 100, 100]), target=0.25)
    assert table["z"].to_numpy() == pytest.approx([0, 5.2359878, -10.4719755], abs=1e-7)
    assert table["phi"].iloc[0] == pytest.approx(45.6926130, abs=1e-6)
    assert table["tau2"].iloc[0] == pytest.approx(0.1688473, abs=1e-7)
    assert spiegelhalter_tau2(45.6926130, np.full(3, 100.0), PROPORTION) == pytest.approx(0.1688473, abs=1e-7)


def test_predictive_limit_without_spread_is_the_exact_limit():
    # A model with (almost) no spread predicts the binomial (Poisson) at its mean: the adjusted limit
    # is then the exact interpolated one, which the tests above check by hand.
    for family, shape, size, target in (
        (PROPORTION, LOGIT_NORMAL, [10, 100, 2000], 0.1),
        (RATIO, LOG_NORMAL, [0.5, 4, 90], 1.0),
    ):
        nodes = Nodes.of(401)
        fit = Fit(shape, float(shape.to_latent(np.asarray(target))), 1e-9, float("nan"), nodes)
        for p in (0.001, 0.025, 0.975, 0.999):
            want = interpolated_limit(family, np.asarray(size, dtype=float), target, p)
            assert predictive_limit(fit, family, size, p) == pytest.approx(want, rel=1e-6, abs=1e-12)


def test_rank_and_told_apart_by_hand():
    # Three units far apart with many events: ranks 1, 2, 3 (1 = highest) and tight intervals;
    # the middle rank is 2, so the top and bottom units are told apart from it.
    table = funnel_table(proportion_frame([900, 500, 100], [1000, 1000, 1000], ["hi", "mid", "lo"]))
    assert table["rank"].tolist() == [1, 2, 3]
    assert table[["rank_low", "rank_high"]].to_numpy().tolist() == [[1, 1], [2, 2], [3, 3]]
    middle = told_apart_from_middle(table).iloc[0]
    assert (middle["middle_rank"], middle["told_apart"], middle["above_middle_units"]) == (2.0, 2, "hi")


# --- output shape and behaviour --------------------------------------------------------------------
REQUIRED = [
    "dataset",
    "unit",
    "value",
    "target",
    "z",
    "p_high",
    "p_low",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "outside_95",
    "outside_99_8",
    "phi",
    "tau2",
    "over_dispersed",
    "adj_lower_95",
    "adj_upper_95",
    "adj_lower_99_8",
    "adj_upper_99_8",
    "outside_adjusted_99_8",
    "rank",
    "rank_low",
    "rank_high",
    "p_holm",
]


def test_columns_datasets_analysed_separately_and_deterministic():
    rng = np.random.default_rng(5)
    n = rng.integers(50, 3000, 30)
    frame = proportion_frame(rng.binomial(n, 0.05), n)
    both = pd.concat([frame.assign(dataset="a"), frame.assign(events=rng.binomial(n, 0.2), dataset="b")])
    table = funnel_table(both)
    assert set(REQUIRED) <= set(table.columns)
    assert table["dataset"].tolist() == ["a"] * 30 + ["b"] * 30
    alone = funnel_table(frame.assign(dataset="a"))
    pd.testing.assert_frame_equal(table[table["dataset"] == "a"].reset_index(drop=True), alone)
    pd.testing.assert_frame_equal(funnel_table(both), table)
    assert table["target"].nunique() == 2
    assert funnel_table(frame)["dataset"].eq("").all()


def test_adjusted_columns_empty_when_not_over_dispersed():
    n = np.array([200, 400, 800, 1600] * 5)
    table = funnel_table(proportion_frame(np.round(n * 0.1).astype(int), n))  # no spread at all
    assert not table["over_dispersed"].any()
    assert table[["adj_lower_95", "adj_upper_95", "adj_lower_99_8", "adj_upper_99_8"]].isna().all().all()
    assert table["outside_adjusted_99_8"].isna().all()
    assert (table["rank_low"] == 1).all() or table["tau2"].iloc[0] > 0


def test_real_share_funnel():
    counts = real_counts()
    if counts is None:
        pytest.skip("real data folder absent")
    table = funnel_table(counts, "proportion")
    first = table.iloc[0]
    assert first["over_dispersed"] and first["phi"] > 5
    hits = flagged(table)
    assert "Lancashire" in set(hits[hits["outside_99_8"] == "high"]["unit"])
    # Chance alone would give about 0.05 flags at 99.8% across the 44 forces.
    assert first["expected_flags_99_8"] < 0.1


# --- input errors: the message names the row and the column ---------------------------------------
@pytest.mark.parametrize(
    "frame, row, column, words",
    [
        (pd.DataFrame({"unit": ["a", "b"], "events": [1, -1], "n": [5, 5]}), 2, "events", "negative"),
        (pd.DataFrame({"unit": ["a", "b", "c"], "events": [1, 2, 9], "n": [5, 5, 5]}), 3, "events", "exceed"),
        (pd.DataFrame({"unit": ["a", "b"], "events": [0, 0], "n": [0, 5]}), 1, "n", "at least 1"),
        (pd.DataFrame({"unit": ["a", "b"], "events": ["1", "x"], "n": ["5", "5"]}), 2, "events", "not a number"),
        (pd.DataFrame({"unit": ["a", "b"], "events": ["1", ""], "n": ["5", "5"]}), 2, "events", "empty"),
        (pd.DataFrame({"unit": ["a", "b"], "events": [1.5, 1], "n": [5, 5]}), 1, "events", "whole number"),
        (pd.DataFrame({"unit": ["a", "a"], "events": [1, 1], "n": [5, 5]}), 2, "unit", "twice"),
        (pd.DataFrame({"unit": ["a", "b"], "observed": [1, 1], "expected": [2.0, 0.0]}), 2, "expected", "above 0"),
        (pd.DataFrame({"unit": ["a", "b"], "observed": [1, 1], "expected": [2.0, -1.0]}), 2, "expected", "above 0"),
    ],
)
def test_bad_input_names_row_and_column(frame, row, column, words):
    with pytest.raises(FunnelInputError, match=words) as caught:
        funnel_table(frame)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert f"row {row}" in str(caught.value) and repr(column) in str(caught.value)
    assert isinstance(caught.value, CrimeOutcomesError)


def test_missing_column_and_unknown_kind():
    with pytest.raises(CrimeOutcomesError, match="missing column 'n'"):
        funnel_table(pd.DataFrame({"unit": ["a"], "events": [1]}), "proportion")
    with pytest.raises(CrimeOutcomesError, match="cannot tell the kind"):
        funnel_table(pd.DataFrame({"unit": ["a"], "events": [1]}))


# --- the CLI ---------------------------------------------------------------------------------------
def test_cli_round_trip(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "dataset,unit,observed,expected\nx,A,30,16.4\nx,B,12,14.0\nx,C,2,9.5\ny,A,5,5.0\ny,B,4,6\ny,C,3,4\n"
    )
    out = tmp_path / "out.csv"
    # In-process (what python -m crimeoutcomes runs, without a second interpreter's 1.5 s of
    # imports): the exit code of a real process is checked by the error test below.
    assert cli.main(["funnel", str(source), "--out", str(out)]) == 0, capsys.readouterr().err
    written = pd.read_csv(out, keep_default_na=False, dtype={"dataset": str, "unit": str})
    expected = funnel_table(pd.read_csv(source, dtype={"dataset": str}))
    assert written[["dataset", "unit"]].values.tolist() == expected[["dataset", "unit"]].values.tolist()
    assert written["p_high"].to_numpy() == pytest.approx(expected["p_high"].to_numpy(), rel=1e-9)
    assert written["outside_95"].tolist() == expected["outside_95"].tolist()


def test_cli_error_names_file_row_and_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("unit,events,n\nA,5,100\nB,7,0\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crimeoutcomes",
            "funnel",
            str(source),
            "--out",
            str(tmp_path / "o.csv"),
            "--kind",
            "proportion",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "row 2" in result.stderr and "column 'n'" in result.stderr and "in.csv" in result.stderr
    assert not (tmp_path / "o.csv").exists()


# --- simulations at the forces' sizes --------------------------------------------------------------
def test_false_flag_rate_under_the_binomial_null_at_most_nominal():
    n = forces_n()
    share, _ = real_share_and_tau2()
    replicates = 20000
    rng = np.random.default_rng(151)
    counts = rng.binomial(n.astype(int), share, size=(replicates, len(n)))
    targets = counts.sum(axis=1) / n.sum()  # re-estimated, as funnel_table does
    p_high, p_low = tail_probabilities(PROPORTION, counts, n, targets[:, None])
    for name, alpha in (("95", 0.025), ("99_8", 0.001)):
        rate = ((p_high < alpha) | (p_low < alpha)).mean()
        monte_carlo_se = math.sqrt(NOMINAL[name] / (replicates * len(n)))
        assert rate <= NOMINAL[name] + 3 * monte_carlo_se, (name, rate)
        # With the target known, each unit's chance of a flag is exactly at most nominal.
        high, low = attained_flag_rates(PROPORTION, n, share, alpha)
        assert np.all(high + low <= NOMINAL[name])


def test_false_flag_rate_under_the_poisson_null_at_most_nominal():
    expected = forces_n() * real_share_and_tau2()[0]  # about 1 to 90 expected, as on the O/E funnel
    replicates = 20000
    counts = np.random.default_rng(152).poisson(expected, size=(replicates, len(expected)))
    p_high, p_low = tail_probabilities(RATIO, counts, expected, 1.0)
    for name, alpha in (("95", 0.025), ("99_8", 0.001)):
        rate = ((p_high < alpha) | (p_low < alpha)).mean()
        assert rate <= NOMINAL[name] + 3 * math.sqrt(NOMINAL[name] / counts.size), (name, rate)


@pytest.mark.parametrize("family", [PROPORTION, RATIO], ids=lambda f: f.kind)
def test_over_dispersion_test_size_is_five_percent(family):
    n = forces_n()
    share, _ = real_share_and_tau2()
    size = n if family is PROPORTION else n * share
    value = share if family is PROPORTION else 1.0
    target = None if family is PROPORTION else 1.0
    rng = np.random.default_rng(153)
    datasets = 1500
    counts = family.simulate(rng, size, value, shape=(datasets, len(n)))
    p = np.array([bootstrap_p(family, row, size, target, rng, replicates=199) for row in counts])
    assert 0.03 <= np.mean(p < 0.05) <= 0.07, np.mean(p < 0.05)


def simulate_random_effects(rng, n, share, tau2):
    theta = rng.normal(PROPORTION.to_theta(share), math.sqrt(tau2), len(n))
    return theta, rng.binomial(n.astype(int), PROPORTION.from_theta(theta))


def test_over_dispersion_power_at_the_real_tau():
    n = forces_n()
    share, tau2 = real_share_and_tau2()
    rng = np.random.default_rng(154)
    hits = [
        bootstrap_p(PROPORTION, simulate_random_effects(rng, n, share, tau2)[1], n, None, rng, 199) < 0.05
        for _ in range(200)
    ]
    assert np.mean(hits) >= 0.8


def test_rank_intervals_cover_the_true_rank():
    n = forces_n()
    share, tau2 = real_share_and_tau2()
    rng = np.random.default_rng(155)
    covered = []
    for _ in range(100):
        theta, counts = simulate_random_effects(rng, n, share, tau2)
        fit = choose_model(PROPORTION, counts, n, counts.sum() / n.sum(), nodes_for(PROPORTION, counts, n))
        low, high = rank_intervals(fit, PROPORTION, counts, n, rng, draws=1000)
        true = ranks_high_first(theta)
        covered.append(np.mean((true >= low) & (true <= high)))
    assert np.mean(covered) >= 0.95, np.mean(covered)


def test_limits_in_range():
    rng = np.random.default_rng(156)
    n = forces_n()
    share, tau2 = real_share_and_tau2()
    frames = {
        "real-like": proportion_frame(simulate_random_effects(rng, n, share, tau2)[1], n.astype(int)),
        "tiny": proportion_frame([0, 1, 0, 3, 2, 0], [1, 2, 3, 4, 5, 6]),
        "high share": proportion_frame(rng.binomial(np.arange(1, 41), 0.9), np.arange(1, 41)),
    }
    for frame in frames.values():
        table = funnel_table(frame, "proportion")
        curves = funnel_curves(table)
        for limits in (table, curves):
            values = limits.filter(like="lower").join(limits.filter(like="upper")).to_numpy(float)
            values = values[np.isfinite(values)]
            assert np.all((values >= 0) & (values <= 1))
        assert curves["n"].min() <= frame["n"].min() and curves["n"].max() > frame["n"].max()
    ratio = funnel_table(
        pd.DataFrame(
            {"unit": list("abcdef"), "observed": [0, 9, 1, 30, 2, 0], "expected": [0.5, 1.0, 3.0, 10.0, 2.0, 0.1]}
        )
    )
    for limits in (ratio, funnel_curves(ratio)):
        values = limits.filter(like="lower").to_numpy(float)
        assert np.all(values[np.isfinite(values)] >= 0)
