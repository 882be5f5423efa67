"""The notebooks as papermill and Jupyter users expect them (issue 26): typed, documented parameters
(papermill --help-notebook), one public surface (every import from ``crimeoutcomes`` itself),
``data_folder='sample'``, a direct run that says on its console where its outputs went and that
the data are synthetic, no TCP-encryption warning, and ``make lab`` at the project root."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import PROJECT_ROOT, sample_truth

import crimeoutcomes
from crimeoutcomes.build.execute import declared_parameters
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook import start as notebook
from crimeoutcomes.notebook.parameters import check_injected_parameters

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
PAPERMILL = [sys.executable, "-m", "papermill"]
#: What a notebook may import besides ``crimeoutcomes`` itself: the standard library and these.
READERS_LIBRARIES = {"pandas", "numpy", "matplotlib", "seaborn", "IPython"}


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _parameters_source(path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))


def _imports(path):
    """(module, names) of every import statement of every code cell."""
    for source in _code_cells(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                yield from ((alias.name, []) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                yield node.module, [alias.name for alias in node.names]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_imports_only_the_public_surface(path):
    found = list(_imports(path))
    assert any(module == "crimeoutcomes" for module, _ in found)
    for module, names in found:
        top = module.split(".")[0]
        if top == "crimeoutcomes":
            assert module == "crimeoutcomes", f"{path.name}: import from crimeoutcomes itself, not {module}"
            for name in names:
                assert name in crimeoutcomes.__all__, f"{path.name}: {name} is not in crimeoutcomes.__all__"
                assert getattr(crimeoutcomes, name) is not None
        else:
            assert top in READERS_LIBRARIES or top in sys.stdlib_module_names, f"{path.name}: {module}"


def test_the_public_surface_loads_lazily_and_every_name_resolves():
    started = subprocess.run(
        [sys.executable, "-c", "import sys, crimeoutcomes; print(sorted({'pandas', 'matplotlib'} & set(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.strip() == "[]"  # the command line starts without them
    for name in crimeoutcomes.__all__:
        assert getattr(crimeoutcomes, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'tables'"):
        crimeoutcomes.tables  # noqa: B018 - the name a user was once told to use


def test_load_outcomes_and_to_pandas_give_the_tidy_table(sample_files):
    from crimeoutcomes import load_outcomes, to_pandas

    tidy = to_pandas(load_outcomes([sample_files.outcomes["2024/25"]]))
    truth = sample_truth("2024/25").to_pandas()
    assert len(tidy) == len(truth)
    assert str(tidy["recorded"].dtype) == "Int64" and str(tidy["force"].dtype) == "category"
    for basis in ("recorded", "closed"):
        assert tidy[basis].sum() == truth[basis].sum()


def _help_notebook(path: Path, monkeypatch) -> str:
    """``papermill --help-notebook``: for the first notebook through a real interpreter, for the
    others papermill's own click command in this process (a new interpreter cost 1.5 s each)."""
    if path == NOTEBOOKS[0]:
        return subprocess.run(
            [*PAPERMILL, "--help-notebook", str(path)], capture_output=True, text=True, check=True
        ).stdout
    from click.testing import CliRunner
    from papermill.cli import papermill as papermill_command

    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # the command sets it: undone after the test
    result = CliRunner().invoke(papermill_command, ["--help-notebook", str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_parameter_has_a_type_and_help_for_papermill(path, monkeypatch):
    import papermill

    parameters = papermill.inspect_notebook(str(path))
    assert list(parameters) == declared_parameters(path)
    for name, parameter in parameters.items():
        assert parameter["inferred_type_name"] in ("str", "int"), name
        assert len(parameter["help"]) > 20, name
    shown = _help_notebook(path, monkeypatch)
    assert "Unknown type" not in shown and "data_folder: str" in shown


def test_data_folder_is_explained_without_ambiguity_and_alike_in_every_notebook():
    helps = set()
    for path in NOTEBOOKS:
        line = next(s for s in _parameters_source(path).splitlines() if s.startswith("data_folder"))
        helps.add(line.split("#", 1)[1].strip())
    (words,) = helps
    assert "empty: Home Office files in data/raw" in words and "sample: the SYNTHETIC sample" in words


def test_typed_parameters_are_still_checked_when_injected():
    source = _parameters_source(PROJECT_ROOT / "notebooks" / "05_force_profile.ipynb")
    assert declared_parameters(PROJECT_ROOT / "notebooks" / "05_force_profile.ipynb")[-1] == "force"
    check_injected_parameters(["", source, '# Parameters\nforce = "City of London"\n'])
    with pytest.raises(CrimeOutcomesError, match="'forces' is not one this notebook takes: did you mean 'force'"):
        check_injected_parameters(["", source, '# Parameters\nforces = "Kent"\n'])


def test_data_folder_takes_the_word_sample(monkeypatch, tmp_path):
    asked = []
    monkeypatch.setattr(notebook, "obtain", lambda source: asked.append(source) or source)
    assert notebook._sources("sample") == "sample" and notebook._sources(" Sample ") == "sample"
    assert notebook._sources("") == "auto"
    assert asked == ["sample", "sample", "auto"]
    with pytest.raises(CrimeOutcomesError, match=r"^parameter data_folder: data folder .*nowhere does not exist"):
        notebook._sources(str(tmp_path / "nowhere"))


def _small_notebook(path):
    """Notebook 01's own parameters cell, then its setup call: what a direct run does first."""
    first = PROJECT_ROOT / "notebooks" / "01_national_totals.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = json.loads(first.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    nb.cells = [
        nbformat.v4.new_code_cell(_parameters_source(first), metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from crimeoutcomes import setup\n"
            "a = setup(financial_year, count_basis, first_year, data_folder, output_root)\n"
            "print(a.synthetic, a.figures_dir)"
        ),
    ]
    nbformat.write(nb, path)
    return path


def test_a_direct_papermill_run_says_on_its_console_what_it_read_and_where_it_wrote(sample_files, tmp_path):
    project = tmp_path / "project"  # CRIMEOUTCOMES_ROOT (conftest): the sample is already there
    shutil.copytree(sample_files.folder, project / "data" / "sample")
    executed = tmp_path / "out.ipynb"
    result = subprocess.run(
        [*PAPERMILL, str(_small_notebook(tmp_path / "small.ipynb")), str(executed), "--cwd", str(tmp_path)]
        + ["-p", "data_folder", "sample", "-p", "financial_year", "2024/25", "-p", "first_year", "2024/25"],
        capture_output=True,
        text=True,
        # as a user's shell has it: ipykernel keeps the kernel's own stderr out of reach under pytest
        env={**{k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}, "CRIMEOUTCOMES_ROOT": str(project)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    scratch = project / "scratch" / "sample" / "2024-25"
    said = [line for line in result.stderr.splitlines() if line.startswith("crimeoutcomes: ")]
    assert len(said) == 1, result.stderr  # by default, without --log-output, on a line of its own
    assert "SYNTHETIC data" in said[0] and f"go under {scratch} " in said[0]
    assert "without encryption" not in result.stderr  # the kernel ran over IPC (kernel_transport)
    outputs = [o for c in nbformat.read(executed, as_version=4).cells for o in c.get("outputs", [])]
    assert [o["text"] for o in outputs if o.get("name") == "stdout"] == [f"True {scratch}\n"]
    assert not [o for o in outputs if o.get("name") == "stderr"]  # the console line is not in the page


def test_the_kernel_starts_over_ipc_for_any_client():
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import start_new_kernel

    from crimeoutcomes.build.execute import ensure_kernel
    from crimeoutcomes.build.kernel_transport import PROVISIONER_NAME

    spec = KernelSpecManager().get_kernel_spec(ensure_kernel())
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    written = (Path(spec.resource_dir) / "kernel.json").stat().st_mtime_ns
    ensure_kernel()  # installed as wanted: left alone (parallel runs each call it)
    assert (Path(spec.resource_dir) / "kernel.json").stat().st_mtime_ns == written
    manager, client = start_new_kernel(kernel_name="crimeoutcomes")  # a plain client, as papermill's
    try:
        assert manager.transport == "ipc"
        assert client.execute_interactive("1 + 1", timeout=60)["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel()


def test_make_lab_opens_jupyterlab_at_the_project_root_on_the_notebooks():
    dry = subprocess.run(["make", "-n", "lab"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    lab = next(line for line in dry.stdout.splitlines() if "jupyter lab" in line)
    assert "--ServerApp.root_dir=." in lab and "--LabApp.default_url=/lab/tree/notebooks" in lab
    assert ("--allow-root" in lab) == (os.getuid() == 0)
