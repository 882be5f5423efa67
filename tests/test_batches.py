"""Runs in batches, one kernel a batch: how the runs are dealt out, and that a run in a shared kernel
sees nothing of the run before it (names, figures, outputs, cell numbers)."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from crimeoutcomes.build.jobs import PAGES_FOR_TWO_BATCHES, Job, batches, run_batch


def notebook(path, parameters, *sources):
    cell = new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    document = new_notebook(cells=[new_markdown_cell(f"# {path.stem}"), cell, *map(new_code_cell, sources)])
    document.metadata["kernelspec"] = {"name": "crimeoutcomes", "display_name": "Python", "language": "python"}
    nbformat.write(document, path)
    return path


@pytest.mark.parametrize(
    "jobs, reports, pages, count",
    [(1, 4, 44, 1), (2, 4, 44, 4), (2, 5, 45, 4), (2, 1, 0, 1), (3, 4, 7, 3), (2, 0, 3, 2), (2, 4, 7, 2), (2, 4, 8, 4)],
)
def test_every_run_once_reports_dealt_first_pages_in_order(tmp_path, jobs, reports, pages, count):
    runs = [Job(tmp_path / f"0{i}_report.ipynb") for i in range(reports)]
    runs += [Job(tmp_path / "05_page.ipynb", f"Force {i:02d}") for i in range(pages)]
    made = batches(runs, jobs)
    assert sorted(job.label for batch in made for job in batch) == sorted(job.label for job in runs)
    # one kernel a worker; two where each worker has PAGES_FOR_TWO_BATCHES force pages to balance
    assert all(made) and len(made) == count and PAGES_FOR_TWO_BATCHES == 4
    for batch in made:  # a batch's reports come before its pages
        kinds = [job.force is None for job in batch]
        assert kinds == sorted(kinds, reverse=True)
    # the reports one a batch in turn (never two in a batch while another has none)
    in_batch = [sum(job.force is None for job in batch) for batch in made]
    assert max(in_batch) - min(in_batch) <= 1
    # the pages in their order, in runs of (nearly) the same length
    dealt = [job for batch in made for job in batch if job.force is not None]
    assert dealt == runs[reports:]
    sizes = [sum(job.force is not None for job in batch) for batch in made if any(j.force for j in batch)]
    assert not sizes or max(sizes) - min(sizes[:-1] or sizes) == 0


def outputs_text(executed):
    cells = nbformat.read(executed, as_version=4).cells
    return [
        "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))
        for cell in cells
        if cell.cell_type == "code"
    ]


def test_a_run_in_a_shared_kernel_starts_afresh(tmp_path):
    """A report then a force page in one kernel: the page cannot see the report's names or figures,
    what the report held in a reference cycle is freed (not frozen alive by the reset's
    ``gc.freeze``), and the page's cells count from 1 again."""
    report = notebook(
        tmp_path / "01_report.ipynb",
        'output_root = ""',
        "left_behind = 1",
        "import builtins, weakref\nclass Cycle: pass\nheld = Cycle()\nheld.me = held\n"
        "builtins.probe = weakref.ref(held)",
        # last, a figure left open: drawn with Agg, which (unlike the inline backend) closes nothing itself
        "print('from the report')\nimport matplotlib.pyplot as plt\nplt.switch_backend('agg')\nfigure = plt.figure()",
    )
    page = notebook(
        tmp_path / "05_page.ipynb",
        'output_root = ""\nforce = ""',
        "import matplotlib.pyplot as plt\nprint('left_behind' in dir(), plt.get_fignums(), probe() is None, force)",
        "print('the page')",
    )
    jobs = [Job(report), Job(page, "Kent")]
    roots = {job: tmp_path / "roots" / job.folder for job in jobs}
    for root in roots.values():
        root.mkdir(parents=True)
    parameters = {job: {"output_root": str(roots[job])} | ({"force": job.force} if job.force else {}) for job in jobs}
    folder = tmp_path / "reports"
    done = run_batch(jobs, folder, parameters, tmp_path, tmp_path / "roots", tmp_path / "final", synthetic=False)
    assert [job for job, _ in done] == jobs and all(seconds > 0 for _, seconds in done)
    assert "from the report" in outputs_text(folder / "01_report.ipynb")[-1]
    page_outputs = outputs_text(folder / jobs[1].executed)
    assert page_outputs[-2].strip() == "False [] True Kent"
    assert not any("from the report" in text for text in page_outputs)
    assert page_outputs[-1].strip() == "the page"
    # the parameters cell, the injected one, then the two cells: counted from 1, as in a kernel of its own
    executed = json.loads((folder / jobs[1].executed).read_text(encoding="utf-8"))
    assert [c["execution_count"] for c in executed["cells"] if c["cell_type"] == "code"] == [1, 2, 3, 4]
    assert (folder / jobs[1].html).is_file() and (folder / "01-report.html").is_file()
