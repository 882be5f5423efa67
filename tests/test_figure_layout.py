"""Every figure of a build, as the renderer laid it out: no two texts overlap and every text lies
inside the figure. ``figures.save_figure`` records in each PNG where matplotlib's renderer drew each
text (titles, axis and tick labels, the names on a funnel, legend entries, the footer); this test
reads those boxes back and checks them, on every figure of the sample build (the session's
``built``) and of the real 2024/25 build (``test_realdata_reports``'s, skipped without
../shared/realdata)."""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image

from crimeoutcomes.notebook import figures

#: Boxes are fractions of the figure; a hair of slack for rounding and antialiasing (0.5 px at 1350 px).
SLACK = 0.0004


def boxes_of(png: Path) -> list[dict]:
    with Image.open(png) as image:
        recorded = image.info.get(figures.TEXT_BOXES_KEY)
    assert recorded is not None, f"{png.name} does not record its text boxes (drawn without figures.save_figure?)"
    return json.loads(recorded)


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > SLACK and min(a[3], b[3]) - max(a[1], b[1]) > SLACK


def layout_problems(boxes: list[dict]) -> list[str]:
    problems = [
        f"{item['what']} {item['text']!r} leaves the figure: {item['box']}"
        for item in boxes
        if min(item["box"][:2]) < -SLACK or max(item["box"][2:]) > 1 + SLACK
    ]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            if _overlap(first["box"], second["box"]):
                problems.append(f"{first['what']} {first['text']!r} overlaps {second['what']} {second['text']!r}")
    return problems


def check_every_figure(folder: Path, least: int) -> None:
    pngs = sorted(folder.rglob("*.png"))  # the force pages' figures too (forces/<force>/)
    assert len(pngs) >= least, f"only {len(pngs)} figures in {folder}"
    problems = {png.relative_to(folder).as_posix(): layout_problems(boxes_of(png)) for png in pngs}
    assert not {name: found for name, found in problems.items() if found}


def test_the_check_finds_an_overlap_and_a_text_off_the_figure(tmp_path):
    """The check can fail: two names on one point, and a name pushed past the right edge."""
    figure, axes = figures.new_figure()
    axes.plot([0, 1], [0, 1])
    axes.set(title="A chart")
    axes.text(0.5, 0.5, "Durham")
    axes.text(0.5, 0.5, "Surrey")
    figure.text(0.9, 0.5, "Metropolitan Police", fontsize=20)  # the layout engine does not move figure texts
    figures.save_figure(figure, pd.DataFrame({"x": [0, 1]}), tmp_path / "bad", synthetic=False)
    problems = layout_problems(boxes_of(tmp_path / "bad.png"))
    assert any("'Durham' overlaps text 'Surrey'" in p for p in problems), problems
    assert any("'Metropolitan Police' leaves the figure" in p for p in problems), problems


def test_a_long_title_is_wrapped_to_fit(tmp_path):
    figure, axes = figures.new_figure(6, 3)
    axes.barh([0, 1], [3, 4])
    axes.set_yticks([0, 1], ["a rather long category name that pushes the axes right", "b"])
    axes.set(title="Community resolutions by offence code, 2024/25 (recorded basis), a title too long to fit")
    figures.save_figure(figure, pd.DataFrame({"x": [0]}), tmp_path / "long", synthetic=False)
    boxes = boxes_of(tmp_path / "long.png")
    title = next(b for b in boxes if b["what"] == "title")
    assert "\n" in title["text"] and title["box"][2] <= 1
    assert not layout_problems(boxes)
    plt.close("all")


def test_every_figure_of_the_sample_build_is_laid_out_without_overlaps(built):
    check_every_figure(built["figures"], least=15)
