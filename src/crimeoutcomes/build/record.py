"""build.json: what one published build of a year was made from, beside its summary.json.

A build is one consistent set: one run's parameters, one set of source files (by sha256) and one
version of the notebooks and the package. The record lists them, and for every output (report,
executed notebook, figure, table, summary, index) the notebook that made it and the output's own
sha256. ``--only`` may re-run a notebook into a build only when everything else it was built from
is unchanged (``differences``); the site refuses a build whose files no longer match their record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from crimeoutcomes.atomic import write_json
from crimeoutcomes.data.digests import file_sha256, sha256_of
from crimeoutcomes.errors import CrimeOutcomesError

BUILD_FILE = "build.json"
BUILD_VERSION = 1
RUN_ALL = "run_all.py"
#: The package files whose change can change a published number or page.
#: The parameters that must be the same for every report of one build.
BUILD_PARAMETERS = ("financial_year", "count_basis", "first_year", "pool_years")
#: The parameters that ask another question than the default (``stats.question``): recorded only for
#: such a question, so that the default build's record is as it always was.
QUESTION_PARAMETERS = ("offences", "outcome_types")


def source_records(files: Iterable[Path], cache_dir: Path | None = None) -> list[dict]:
    """file name and sha256 of each file (digests remembered in the cache folder, see ``digests``)."""
    files = sorted(files, key=lambda p: p.name)
    digests = sha256_of(files, cache_dir)
    return [{"file": path.name, "sha256": digests[path]} for path in files]


def output_records(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """name (relative to ``folder``) -> sha256 of the file."""
    return {name: file_sha256(folder / name) for name in sorted(names)}


def new_record(
    *,
    parameters: dict,
    sources: list[dict],
    package: str,
    synthetic: bool,
    earlier_releases: list[dict] | None = None,
    data_folder: str | None = None,
    output_folder: str | None = None,
) -> dict:
    """``sources``: the files the numbers come from (newest release of each year read, recorded crime);
    ``earlier_releases``: older releases of those years kept beside them, which the reconciliation
    compares; ``data_folder`` and ``output_folder``: where they were read from and the build published
    (the executed notebooks name both, so a build moved elsewhere is rebuilt whole)."""
    return {
        "build_version": BUILD_VERSION,
        "synthetic": synthetic,
        "parameters": {key: parameters.get(key) for key in BUILD_PARAMETERS}
        | {key: parameters[key] for key in QUESTION_PARAMETERS if key in parameters},
        "sources": sources,
        "earlier_releases": earlier_releases or [],
        "data_folder": data_folder,
        "output_folder": output_folder,
        "package_sha256": package,
        "notebooks": {},
        "outputs": {},
    }


def add_notebook(record: dict, notebook: Path, parameters: dict, outputs: dict[str, str]) -> None:
    """The outputs ``notebook`` made in this build, with the parameters it ran with."""
    record["notebooks"][notebook.name] = {"sha256": file_sha256(notebook), "parameters": parameters}
    for name, digest in outputs.items():
        if name in record["outputs"] and record["outputs"][name]["built_by"] != notebook.name:
            raise CrimeOutcomesError(
                f"{notebook.name} and {record['outputs'][name]['built_by']} both write {name}: "
                "give one of them another name"
            )
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
    return write_json(record, reports / BUILD_FILE)


def differences(existing: dict | None, wanted: dict, rerun: Iterable[str], notebooks: Iterable[Path]) -> list[str]:
    """Why re-running only ``rerun`` into the build ``existing`` would mix two builds ([] if it would not)."""
    if existing is None:
        return ["it has no build record (build.json)"]
    rerun = set(rerun)
    kept_parameters = [
        entry.get("parameters", {}) for name, entry in existing.get("notebooks", {}).items() if name not in rerun
    ]
    found = []
    for key in BUILD_PARAMETERS:
        before, now = existing.get("parameters", {}).get(key), wanted["parameters"].get(key)
        # A parameter no kept notebook takes (pool_years, for the force comparison alone) may change
        # with the notebooks that take it: summary.json and the index are rebuilt on every run.
        taken = any(key in parameters for parameters in kept_parameters) or key != "pool_years"
        if before != now and taken and not (key == "pool_years" and now is None):
            found.append(f"{key} was {before!r}, this run asks for {now!r}")
    found += input_differences(existing, wanted, places=False)
    for notebook in notebooks:
        entry = existing.get("notebooks", {}).get(notebook.name)
        if notebook.name in rerun or entry is None:
            continue
        if entry["sha256"] != file_sha256(notebook):
            found.append(f"{notebook.name} has changed since its report was built")
    return found


def _changed_files(before: list[dict], now: list[dict]) -> str:
    old = {s["file"]: s["sha256"] for s in before}
    new = {s["file"]: s["sha256"] for s in now}
    words = [
        f"{name} added" if name not in old else f"{name} removed" if name not in new else f"{name} changed"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]
    return ", ".join(words)


def input_differences(existing: dict, wanted: dict, places: bool = True) -> list[str]:
    """What every notebook depends on and has changed: source files, earlier releases, the package
    and, with ``places``, the data and output folders ([] when none has). The folders only change
    the paths the executed notebooks name, not a number, so ``--only`` may re-run into a build
    moved elsewhere; an incremental run rebuilds it whole, to give a full run's bytes."""
    found = []
    if existing.get("sources") != wanted["sources"]:
        found.append(f"the source files differ ({_changed_files(existing.get('sources', []), wanted['sources'])})")
    if existing.get("earlier_releases", []) != wanted.get("earlier_releases", []):
        found.append(
            "the earlier releases kept differ ("
            + _changed_files(existing.get("earlier_releases", []), wanted.get("earlier_releases", []))
            + ")"
        )
    for key, words in (("data_folder", "data folder"), ("output_folder", "output folder")):
        if places and existing.get(key) != wanted.get(key):
            found.append(f"the {words} was {existing.get(key)}, now {wanted.get(key)}")
    if existing.get("package_sha256") != wanted["package_sha256"]:
        found.append("the crimeoutcomes package has changed since")
    if existing.get("synthetic") != wanted.get("synthetic") or existing.get("build_version") != BUILD_VERSION:
        found.append("the build record is of another kind or version")
    return found


def check_files(reports: Path, figures: Path, record: dict) -> list[str]:
    """The outputs whose file is missing or differs from the record ([] when the build is whole)."""
    problems = []
    for name, entry in sorted(record.get("outputs", {}).items()):
        path = figures / name[len("figures/") :] if name.startswith("figures/") else reports / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{name} has changed since the build")
    return problems
