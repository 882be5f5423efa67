"""The committed notebooks: no outputs or execution counts (as nbstripout would leave them), a
tagged parameters cell, the project's kernel, and code in the readers' language (pandas, seaborn):
no polars, no helper the package does not export."""

import ast
import json
import re

import pytest
from conftest import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs_in_pandas(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert not [c for c in code if c.get("outputs") or c.get("execution_count")], "clear the outputs"
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in code) == 1
    assert notebook["metadata"]["kernelspec"]["name"] == "crimeoutcomes"
    source = "\n".join("".join(c["source"]) for c in code)
    assert not re.search(r"\bpolars\b|\bpl\.", source), "notebooks speak pandas"
    import crimeoutcomes

    # Read with ast: an import ruff wraps over several lines names its imports the same way.
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "crimeoutcomes":
            for alias in node.names:
                assert alias.name in crimeoutcomes.__all__, f"{alias.name} is not part of the notebook API"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4
