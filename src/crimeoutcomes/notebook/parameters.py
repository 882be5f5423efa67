"""The notebooks' parameters: which names a parameters cell declares, and whether papermill
injected one the notebook does not declare."""

from __future__ import annotations

import ast
import difflib

from crimeoutcomes.errors import CrimeOutcomesError


def assigned_names(source: str) -> list[str]:
    """The names a cell's top-level assignments set ([] if it is not valid Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]


def check_injected_parameters(history: list[str] | None = None) -> None:
    """Papermill only warns about a parameter the notebook does not declare, then runs on its
    defaults. Here the kernel's own history is read: the cell papermill injected ('# Parameters')
    and the parameters cell run just before it; a name in the first but not the second is an error
    that names the nearest declared parameter."""
    if history is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        shell = get_ipython()
        history = list(shell.user_ns.get("In", [])) if shell is not None else []
    injected = [i for i, source in enumerate(history) if i > 0 and source.splitlines()[:1] == ["# Parameters"]]
    if not injected:
        return
    declared = assigned_names(history[injected[-1] - 1])
    for name in assigned_names(history[injected[-1]]):
        if name not in declared:
            near = difflib.get_close_matches(name, declared, n=1)
            raise CrimeOutcomesError(
                f"parameter {name!r} is not one this notebook takes"
                + (f": did you mean {near[0]!r}?" if near else "")
                + f" It takes {', '.join(declared)}."
            )
