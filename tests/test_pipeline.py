"""run_all.py arguments, unknown parameters, and what a failing notebook leaves behind."""

import json
import re
import shutil

import nbformat
import pytest
from conftest import PROJECT_ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import run_all
from crimeoutcomes.build import pipeline
from crimeoutcomes.errors import CrimeOutcomesError

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

PARAMETERS = (
    'financial_year = "latest"\ncount_basis = "closed"\nfirst_year = "2014/15"\ndata_folder = ""\noutput_root = ""'
)


def write_notebook(path, *sources, parameters=PARAMETERS):
    cells = [new_markdown_cell(f"# {path.stem}")]
    if parameters:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells += [new_code_cell(s) for s in sources]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "crimeoutcomes", "display_name": "Python", "language": "python"}
    nbformat.write(notebook, path)
    return path


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--year", "2024"], "--year"),
        (["--year", "2024/26"], "consecutive"),
        (["--basis", "opened"], "--basis"),
        (["--source", "web"], "--source"),
        (["--only", "99_nothing"], "names no notebook"),
        (["--year", "2019/20", "--first-year", "2020/21"], "after --year"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(arguments, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        run_all.main([*arguments, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--force", "Cumbria"], "--forces Cumbria"),  # the old --force beside --forces: never silent
        (["--force", "Avon and Somerset", "Kent"], "--forces 'Avon and Somerset' Kent"),
        (["--forc", "Cumbria"], "unrecognized arguments: --forc"),  # no prefix stands for --force or --forces
        (["--rebuil"], "unrecognized arguments: --rebuil"),
    ],
)
def test_force_with_names_or_an_abbreviation_is_an_error_that_says_what_to_type(arguments, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        run_all.main([*arguments, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_rebuild_and_its_old_name_force(capsys):
    assert run_all.parse_arguments(["--rebuild"]).rebuild and not capsys.readouterr().err
    assert not run_all.parse_arguments([]).rebuild
    assert run_all.parse_arguments(["--force"]).rebuild
    assert capsys.readouterr().err.strip() == "run_all: --force is now --rebuild"
    assert run_all.parse_arguments(["--forces", "Cumbria"]).forces == ["Cumbria"]
    with pytest.raises(SystemExit):
        run_all.parse_arguments(["--help"])
    shown = capsys.readouterr().out
    assert "--rebuild" in shown and not re.search(r"--force\b(?!s)", shown)  # the old name is hidden


def test_notebooks_are_committed_without_outputs_and_take_the_parameters():
    found = pipeline.notebooks(PROJECT_ROOT / "notebooks")
    assert [p.stem for p in found] == [
        "01_national_totals",
        "02_force_comparison",
        "03_child_victim_offences",
        "04_reconciliation",
        "05_force_profile",
    ]
    for path in found:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata["kernelspec"]["name"] == pipeline.KERNEL_NAME
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
        pipeline.check_parameters(
            path,
            {
                "financial_year": "2024/25",
                "count_basis": "closed",
                "first_year": "2014/15",
                "data_folder": "",
                "output_root": "",
            }
            | ({"force": "Kent"} if path.stem == "05_force_profile" else {}),
        )


def test_unknown_parameters_are_an_error(tmp_path):
    path = write_notebook(tmp_path / "01_x.ipynb", "pass")
    with pytest.raises(CrimeOutcomesError, match="does not take the parameter.*colour"):
        pipeline.check_parameters(path, {"financial_year": "2024/25", "colour": "red"})
    bare = write_notebook(tmp_path / "02_y.ipynb", "pass", parameters=None)
    with pytest.raises(CrimeOutcomesError, match="no cell tagged 'parameters'"):
        pipeline.check_parameters(bare, {})


def test_only_accepts_number_name_or_file():
    folder = PROJECT_ROOT / "notebooks"
    for name in ("02", "02_force_comparison", "force_comparison", "02_force_comparison.ipynb"):
        assert [p.stem for p in pipeline.select_notebooks([name], folder)] == ["02_force_comparison"]


def test_a_failing_notebook_names_itself_and_its_cell_and_keeps_the_previous_reports(sample_files, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_fine.ipynb", "print('fine')")
    write_notebook(notebooks / "02_broken.ipynb", "x = 1", "raise ValueError('the data is odd')")
    out = tmp_path / "out"
    previous = out / "reports" / "sample" / "2024-25"
    previous.mkdir(parents=True)
    (previous / "summary.json").write_text(json.dumps({"previous": True}))
    with pytest.raises(pipeline.NotebookFailed) as failure:
        pipeline.run(
            source="local", raw_dir=sample_files.folder, out=out, notebooks_dir=notebooks, log=lambda message: None
        )
    message = str(failure.value)
    assert (
        "02_broken.ipynb" in message
        and "cell 4 " in message
        and "raise ValueError" in message
        and "ValueError: the data is odd" in message
    )
    assert json.loads((previous / "summary.json").read_text()) == {"previous": True}
    assert sorted(p.name for p in previous.iterdir()) == ["summary.json"]
    kept = out / "reports" / "sample" / "2024-25.failed" / "02_broken.ipynb"
    assert kept.is_file() and "the data is odd" in kept.read_text()
    assert not list(out.glob("**/.staging*"))
    shutil.rmtree(out)
