"""Each report opens with its answer: key findings written from the report's own numbers, checked
against summary.json (built by the pipeline from its own calls) and the saved CSVs; the sources
collapsed under them (open on the index); report 04's compact table with its list of reasons; the
contact sheet of a build. ``check_findings`` runs on the sample build here and on the real build in
test_realdata_reports."""

import html
import json
import re

import pandas as pd
import pytest
from conftest import NOTEBOOK_HTML

from crimeoutcomes.build.review import figures_made_by
from crimeoutcomes.notebook.reconciliation_view import COMPACT, compact, explained
from crimeoutcomes.pages.review import render_review
from crimeoutcomes.prose import findings, headlines


def key_findings(page: str) -> list[str]:
    block = re.search(r'<section[^>]*class="key-findings".*?</section>', page, flags=re.S)
    assert block, "no key findings block"
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in re.findall(r"<li>(.*?)</li>", block.group(0))]


def _page(reports, name: str) -> str:
    return (reports / name).read_text(encoding="utf-8")


def check_findings(reports, summary: dict) -> None:
    """The findings of the four reports say what summary.json says."""
    year = summary["financial_year"]
    national = key_findings(_page(reports, NOTEBOOK_HTML[0]))
    assert 3 <= len(national) <= 5
    assert national[:2] == headlines.national_sentences(summary)  # the index page's own sentences

    comparison = summary["force_comparison"]
    forces = key_findings(_page(reports, NOTEBOOK_HTML[1]))
    assert 3 <= len(forces) <= 5
    spread = comparison["overdispersion"]
    outside, adjusted = comparison["outside_99_8"], comparison["outside_adjusted_99_8"]
    verb = "lies" if len(outside) == 1 else "lie"
    assert f"{len(outside)} of {spread['units']} forces {verb} outside the 99.8% exact binomial limits" in forces[0]
    if spread["over_dispersed"]:
        named = adjusted
        assert "over-dispersion adjustment" in forces[0] and ("still outside" in forces[0]) == bool(adjusted)
        at_95 = comparison["outside_adjusted_95"]
        # no name whose flag does not hold after adjustment (at 99.8%, or at 95%, which is said too)
        for force in set(outside) - set(adjusted) - set(at_95["high"]) - set(at_95["low"]):
            assert force not in forces[0]
        for force in at_95["high"] + at_95["low"]:
            assert force in forces[0]
    else:
        named = outside
    for force in named:
        assert force in forces[0]
    # The flags chance alone gives: one wording in the findings and in the body below the funnel.
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", _page(reports, NOTEBOOK_HTML[1]))).split())
    said = r"(about [\d.]+|fewer than 0\.01)"
    in_findings = re.search(rf"chance alone would put {said} there", forces[0])
    in_body = re.search(rf"Chance alone would put {said} of these forces outside the 99\.8% limits", text)
    assert in_findings and in_body, forces[0]
    assert in_findings.group(1) == in_body.group(1) == findings.chance_flags(spread["expected_flags_99_8"])
    told = comparison["told_apart_from_middle"]
    if spread["over_dispersed"]:
        assert f"Of {told['forces']} forces ranked by share, {told['told_apart']} can be told apart" in " ".join(forces)
    else:
        assert f"The {told['forces']} forces ranked by share differ no more than chance allows" in " ".join(forces)

    child = key_findings(_page(reports, NOTEBOOK_HTML[2]))
    cr = summary["child_victim_offences"]["community_resolutions"]
    assert child[0].startswith(f"In {year}, {cr:,} offence")
    rape = summary["child_victim_offences"]["forces_using_cr_for_child_rape"]
    rape_sentence = next(s for s in child if "rape of a child" in s)
    if rape:
        assert rape_sentence.startswith(f"{len(rape)} force") and all(f in rape_sentence for f in rape)
    else:
        assert rape_sentence.startswith("No force")

    reconciled = key_findings(_page(reports, NOTEBOOK_HTML[3]))
    rows = pd.DataFrame(summary["reconciliation"])
    assert reconciled[0].startswith(f"Of {len(rows)} published figures") or reconciled[0].startswith(
        f"{len(rows)} published figures set beside the synthetic sample"
    )
    if not summary["synthetic"]:
        status = rows["status"].value_counts()
        reproduced = status.get("reproduced", 0) + status.get("reproduced with a different grouping or window", 0)
        assert f"reproduce {reproduced}" in reconciled[0] and f"{status.get('differs', 0)} differ" in reconciled[0]
        # the largest gap in counts among those a revision (within 5%) cannot explain
        gaps = rows[
            (rows["status"] == "differs") & (rows["unit"] == "count") & ~rows["reasons"].str.contains("release:")
        ]
        if len(gaps):
            worst = gaps.loc[gaps["difference"].abs().idxmax()]
            assert f"cannot explain: {worst['published']} ({worst['published_by']}) for" in " ".join(reconciled)
            assert f"{abs(worst['difference']):,.0f} {'fewer' if worst['difference'] > 0 else 'more'}" in " ".join(
                reconciled
            )


@pytest.mark.parametrize(
    "expected, said",
    [
        (0.0532, "about 0.05"),
        (0.088, "about 0.09"),
        (0.46, "about 0.5"),
        (1.62, "about 1.6"),
        (0.004, "fewer than 0.01"),
    ],
)
def test_chance_flags_keep_one_significant_figure(expected, said):
    assert findings.chance_flags(expected) == said


def _attained_flags(n: int, share: float, alpha: float) -> float:
    """The chance that a force of n outcomes at the national share is flagged (either side), summed
    by brute force over every count it could have: an exact test at alpha on each side."""
    import numpy as np
    from scipy.stats import binom

    counts = np.arange(n + 1)  # every count, at once: the same sum as a loop, a hundredth of the time
    flagged = (binom.sf(counts - 1, n, share) < alpha) | (binom.cdf(counts, n, share) < alpha)
    return float(binom.pmf(counts, n, share)[flagged].sum())


def test_flags_chance_alone_gives_on_the_sample_are_below_the_nominal_rate(built):
    """Summed over the forces compared, each force's exact chance of a flag at 99.8% (0.001 a side):
    what the page says, and below 0.002 a force (the discrete counts cannot attain it)."""
    points = pd.read_csv(built["figures"] / "force_cr_funnel.csv")
    points = points[points["series"] == "force"]
    share = points["target"].iloc[0]
    total = sum(_attained_flags(int(n), share, 0.001) for n in points["assigned_outcomes"])
    assert total < 0.002 * len(points)
    summary = json.loads((built["reports"] / "summary.json").read_text())
    assert summary["force_comparison"]["overdispersion"]["expected_flags_99_8"] == pytest.approx(total, rel=1e-6)
    assert f"chance alone would put {findings.chance_flags(total)} there" in _page(built["reports"], NOTEBOOK_HTML[1])


def test_findings_agree_with_summary_json(built):
    check_findings(built["reports"], json.loads((built["reports"] / "summary.json").read_text()))


@pytest.mark.parametrize("name", NOTEBOOK_HTML)
def test_reports_open_with_findings_and_sources_collapsed(built, name):
    page = _page(built["reports"], name)
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    findings_at, sources_at = body.index('class="key-findings"'), body.index('<details class="provenance"')
    first_section = re.search(r"<h2 id=\"(?!key-findings)", body).start()
    assert findings_at < sources_at < first_section  # the answer, then the sources, then the body
    assert re.search(r'<details class="provenance"><summary><strong>Sources and build: \d+ files</strong>', body)
    assert "SYNTHETIC DATA" in body[:findings_at]  # the page banner comes first


def test_index_keeps_its_sources_open(built):
    page = _page(built["reports"], "index.html")
    before = page[: page.index('<table class="provenance">')]
    assert before.count("<details") == before.count("</details>")  # not inside a collapsed block


def test_reconciliation_table_is_compact_and_its_reasons_cover_every_figure_not_reproduced(built):
    page = _page(built["reports"], NOTEBOOK_HTML[3])
    table = re.search(r'<table[^>]*id="table-reconciliation-compact".*?</table>', page, flags=re.S)
    headings = re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', table.group(0))
    assert headings == ["no.", "offences, area, years", "published", "ours, best fit", "status"]
    rows = json.loads((built["reports"] / "summary.json").read_text())["reconciliation"]
    not_reproduced = [i + 1 for i, r in enumerate(rows) if r["status"] != "reproduced"]
    listed = re.search(r'<ol class="reasons-list">.*?</ol>', page, flags=re.S).group(0)
    assert [int(v) for v in re.findall(r'<li[^>]*value="(\d+)"', listed)] == not_reproduced
    assert table.group(0).count("<tr>") == len(rows) + 1  # every figure has its row
    full = pd.read_csv(built["figures"] / "tables" / "reconciliation.csv")
    assert len(full) == len(rows) and {"reasons", "best_fit", "ours_closed", "ours_recorded"} <= set(full.columns)


def _figures(status, figure, ours, difference=None):
    n = len(status)
    return pd.DataFrame(
        {
            "id": [f"f{i}" for i in range(n)],
            "published": [f"{v:,}" for v in figure],
            "figure": figure,
            "unit": ["count"] * n,
            "status": status,
            "best_ours": ours,
            "best_window": ["2024/25"] * n,
            "best_basis": ["recorded"] * n,
            "best_offences": ["Sexual offences group"] * n,
            "difference": [f - o if o is not None else None for f, o in zip(figure, ours)],
            "published_by": [f"paper {i}" for i in range(n)],
            "source_url": [""] * n,
            "reading": ["the year"] * n,
            "window": ["2024/25"] * n,
            "area": ["England and Wales"] * n,
            "offences": ["Sexual offences group"] * n,
            "fit": ["fit"] * n,
            "reasons": ["a reason"] * n,
        }
    )


def test_reconciliation_findings_count_statuses_and_name_the_largest_gap_no_revision_explains():
    # 1,000 against 960 is the largest gap (40) but within a revision; 300 against 265 (35) is not;
    # 20 against 10 is the largest share (50%) but a smaller count.
    figures = _figures(
        ["reproduced", "differs", "differs", "differs", "not reproducible"],
        [5, 1000, 20, 300, 7],
        [5.0, 960.0, 10.0, 265.0, None],
    )
    figures.loc[1, "reasons"] = "release: another release of the file (40, 4.0%)"
    said = findings.reconciliation(figures, synthetic=False)
    assert said[0] == "Of 5 published figures, the open data reproduce 1 and 3 differ."
    assert said[1].startswith("The other 1 cannot be checked: 1 is of another kind")
    assert said[2].startswith("The largest gap that a revision between releases cannot explain: 300 (paper 3)")
    assert "35 fewer in the open data, 12% of the figure" in said[2]
    assert [row["figure_no"] for _, row in compact(figures).iterrows()] == [1, 2, 3, 4, 5]
    assert list(compact(figures).columns) == list(COMPACT)
    assert compact(figures)["ours_best_fit"].tolist()[4] == "n/a"  # nothing to compare: never 0
    assert [item["number"] for item in explained(figures)] == [2, 3, 4, 5]
    figures.loc[4, ["fit", "reasons"]] = [
        "nothing to compare: 2019/20 not in the files read",
        "MoJ; 2019/20 not in the files read",
    ]
    last = explained(figures)[-1]  # what the best fit says is not said again
    assert (last["fit"], last["reasons"], last["reasons_label"]) == (
        "Nothing to compare: 2019/20 not in the files read",
        "MoJ",
        "Why",
    )
    synthetic = findings.reconciliation(figures, synthetic=True)
    assert "synthetic" in synthetic[0] and "reproduce" not in " ".join(synthetic)
    assert "ours for 4 of them; for the other 1" in synthetic[1]


def test_child_findings_name_missing_forces_and_never_count_them():
    by_code = pd.DataFrame(
        {
            "financial_year": ["2024/25"] * 3,
            "offence_code": ["19E", "22B", "71"],
            "offence_description": ["Rape of a female child under 13", "Sexual activity with a child", "Abuse"],
            "community_resolutions": [0, 7, 2],
            "assigned_outcomes": [50, 100, 30],
        }
    )
    by_force = pd.DataFrame(
        {"force": ["Avon", "Kent", "Dorset"], "community_resolutions": pd.array([3, 0, None], dtype="Int64")}
    )
    rape = pd.DataFrame({"financial_year": [], "force": [], "community_resolutions": []})
    said = findings.child_victim(by_code, by_force, rape, "2024/25")
    assert said[0] == (
        "In 2024/25, 9 offences whose legal definition makes the victim a child ended in a community resolution, "
        "5.0% of their assigned outcomes."
    )
    assert said[1] == "Most were for 22B Sexual activity with a child (7) and 71 Abuse (2)."
    assert said[2].startswith("1 of the 3 forces recorded at least one; for Dorset the data is missing")
    assert said[3] == "No force recorded a community resolution for the rape of a child in 2024/25."


def test_contact_sheet_shows_every_figure_of_the_build_once(built, tmp_path):
    target = tmp_path / "review.html"
    page = render_review(built["reports"], target, figures_made_by(built["reports"]))
    pngs = sorted(p.name for p in built["figures"].glob("*.png"))
    assert len(pngs) >= 15
    shown = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(src.rsplit("/", 1)[-1] for src in shown) == pngs
    for src in shown:  # each link resolves from where the page is written
        assert (target.parent / src).resolve().is_file()
    record = json.loads((built["reports"] / "build.json").read_text())["outputs"]
    for name in pngs:
        notebook = record[f"figures/{name}"]["built_by"]
        assert re.search(rf'<img src="[^"]*/{re.escape(name)}"[^>]*>.*?{re.escape(notebook)}', page, flags=re.S)
    assert page.count('.csv">CSV</a>') == len(pngs)
    assert "<title>Every figure, 2024/25, closed basis (SYNTHETIC DATA)</title>" in page and "<h1>Every figure" in page
    assert render_review(built["reports"], target, figures_made_by(built["reports"])) == page  # same bytes on a re-run
