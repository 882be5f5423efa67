"""On a synthetic build a real published figure never stands in prose beside invented numbers
without saying which is which: every paragraph of a report (markdown cells, markdown the notebook
displays, the key findings) that quotes a figure from reference/published_figures.csv also says
SYNTHETIC. Checked on the executed notebooks of the sample build."""

import re

import nbformat
import pytest

from crimeoutcomes.reconciliation.press_figures import published_figures

#: Figures this size or more are distinctive enough to find in prose (a 4 or an 11 is everywhere).
SMALLEST = 100


def _real_figures() -> dict[str, re.Pattern]:
    figures = published_figures()
    counts = figures.loc[(figures["unit"] == "count") & (figures["figure"] >= SMALLEST), "figure"].astype(int)
    return {
        f"{n:,}": re.compile(rf"(?<![\d.,]){re.escape(f'{n:,}')}(?![\d]|[.,]\d)|(?<![\d.,]){n}(?![\d]|[.,]\d)")
        for n in sorted(set(counts))
    }


def _paragraphs(notebook) -> list[tuple[str, str]]:
    """(where, text) of each unit of prose: a markdown cell's paragraphs, a displayed Markdown, the
    key findings (their HTML section, which says SYNTHETIC once for all its sentences)."""
    found = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            found += [(f"markdown cell {number}", p) for p in cell.source.split("\n\n")]
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                found.append((f"Markdown shown by cell {number}", data["text/markdown"]))
            elif 'class="key-findings"' in data.get("text/html", ""):
                section = data["text/html"].split('class="key-findings"', 1)[1].split("</section>", 1)[0]
                found.append((f"key findings (cell {number})", re.sub(r"<[^>]+>", " ", section)))
    return found


def _unlabelled(reports) -> list[str]:
    figures = _real_figures()
    problems = []
    for path in sorted(reports.rglob("*.ipynb")):
        for where, text in _paragraphs(nbformat.read(path, as_version=4)):
            quoted = [shown for shown, pattern in figures.items() if pattern.search(text)]
            if quoted and "SYNTHETIC" not in text:
                problems.append(f"{path.name}, {where}: {', '.join(quoted)} without SYNTHETIC: {text[:160]!r}")
    return problems


def test_the_check_finds_a_real_figure_without_the_word(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("The press figures (421 in 2020/21) are of this kind."),
            nbformat.v4.new_markdown_cell("A chart of 4,210 and 6,430.\n\nThe real 643; this is SYNTHETIC."),
        ]
    )
    nbformat.write(notebook, tmp_path / "01_x.ipynb")
    problems = _unlabelled(tmp_path)
    assert len(problems) == 1 and "421" in problems[0] and "markdown cell 0" in problems[0]


@pytest.mark.usefixtures("built")
def test_no_real_figure_in_the_sample_reports_goes_unlabelled(built):
    executed = sorted(built["reports"].rglob("*.ipynb"))
    assert len(executed) >= 5
    assert _unlabelled(built["reports"]) == []
    national = (built["reports"] / "01-national-totals.html").read_text(encoding="utf-8")
    assert "The real published figures of this kind were 421 in 2020/21 and 643 in 2021/22" in national
