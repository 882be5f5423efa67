"""build.json: what one published build of a year was made from, beside its summary.json.

A build is one consistent set: one run's parameters, one set of source files (by sha256) and one
version of the notebooks and the package. The record lists them, and for every output (report,
executed notebook, figure, table, summary, index) the notebook that made it and the output's own
sha256. ``--only`` may re-run a notebook into a build only when everything else it was built from
is unchanged (``differences``); the site refuses a build whose files no longer match their record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable

from .atomic import write_text_atomically
from .errors import CrimeOutcomesError
from .store import file_sha256

BUILD_FILE = "build.json"
BUILD_VERSION = 1
RUN_ALL = "run_all.py"
#: The package files whose change can change a published number or page.
_CODE_SUFFIXES = {".py", ".csv", ".md", ".j2", ".json", ".css"}
#: The parameters that must be the same for every report of one build.
BUILD_PARAMETERS = ("financial_year", "count_basis", "first_year", "pool_years")


def package_fingerprint(package_dir: Path) -> str:
    """sha256 over the package's source files (names and contents), in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_records(files: Iterable[Path]) -> list[dict]:
    return [{"file": path.name, "sha256": file_sha256(path)} for path in sorted(files, key=lambda p: p.name)]


def output_records(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """name (relative to ``folder``) -> sha256 of the file."""
    return {name: file_sha256(folder / name) for name in sorted(names)}


def new_record(*, parameters: dict, sources: list[dict], package: str, synthetic: bool) -> dict:
    return {"build_version": BUILD_VERSION, "synthetic": synthetic,
            "parameters": {key: parameters.get(key) for key in BUILD_PARAMETERS},
            "sources": sources, "package_sha256": package, "notebooks": {}, "outputs": {}}


def add_notebook(record: dict, notebook: Path, parameters: dict, outputs: dict[str, str]) -> None:
    """The outputs ``notebook`` made in this build, with the parameters it ran with."""
    record["notebooks"][notebook.name] = {"sha256": file_sha256(notebook), "parameters": parameters}
    for name, digest in outputs.items():
        if name in record["outputs"] and record["outputs"][name]["built_by"] != notebook.name:
            raise CrimeOutcomesError(f"{notebook.name} and {record['outputs'][name]['built_by']} both write {name}: "
                                     "give one of them another name")
        record["outputs"][name] = {"built_by": notebook.name, "sha256": digest}


def drop_notebook(record: dict, notebook_name: str) -> list[str]:
    """Forget what ``notebook_name`` made (before it is re-run); returns the outputs it had made."""
    record["notebooks"].pop(notebook_name, None)
    mine = [name for name, entry in record["outputs"].items() if entry["built_by"] == notebook_name]
    for name in mine:
        del record["outputs"][name]
    return mine


def add_run_all_outputs(record: dict, folder: Path, names: Iterable[str], prefix: str = "") -> None:
    for name, digest in output_records(folder, names).items():
        record["outputs"][prefix + name] = {"built_by": RUN_ALL, "sha256": digest}


def read_record(reports: Path) -> dict | None:
    path = reports / BUILD_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CrimeOutcomesError(f"{path} is not valid JSON ({exc}): rebuild the year without --only") from None


def write_record(record: dict, reports: Path) -> Path:
    return write_text_atomically(reports / BUILD_FILE,
                                 json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def differences(existing: dict | None, wanted: dict, rerun: Iterable[str], notebooks: Iterable[Path]) -> list[str]:
    """Why re-running only ``rerun`` into the build ``existing`` would mix two builds ([] if it would not)."""
    if existing is None:
        return ["it has no build record (build.json)"]
    found = []
    for key in BUILD_PARAMETERS:
        before, now = existing.get("parameters", {}).get(key), wanted["parameters"].get(key)
        if before != now and not (key == "pool_years" and now is None):
            found.append(f"{key} was {before!r}, this run asks for {now!r}")
    if existing.get("sources") != wanted["sources"]:
        before = {s["file"]: s["sha256"][:12] for s in existing.get("sources", [])}
        now = {s["file"]: s["sha256"][:12] for s in wanted["sources"]}
        changed = sorted(set(before.items()) ^ set(now.items()))
        found.append("the source files differ (" + ", ".join(f"{name} {digest}" for name, digest in changed) + ")")
    if existing.get("package_sha256") != wanted["package_sha256"]:
        found.append("the crimeoutcomes package has changed since")
    rerun = set(rerun)
    for notebook in notebooks:
        entry = existing.get("notebooks", {}).get(notebook.name)
        if notebook.name in rerun or entry is None:
            continue
        if entry["sha256"] != file_sha256(notebook):
            found.append(f"{notebook.name} has changed since its report was built")
    return found


def check_files(reports: Path, figures: Path, record: dict) -> list[str]:
    """The outputs whose file is missing or differs from the record ([] when the build is whole)."""
    problems = []
    for name, entry in sorted(record.get("outputs", {}).items()):
        path = figures / name[len("figures/"):] if name.startswith("figures/") else reports / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{name} has changed since the build")
    return problems
