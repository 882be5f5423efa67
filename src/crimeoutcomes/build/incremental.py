"""What a run must rebuild: this run's inputs compared with the published build's record (build.json).

Like make, ploomber or jupyter-cache, but from the record the build already keeps. Every notebook
depends on the source files (by sha256), the earlier releases kept beside them, the data folder, the
crimeoutcomes package (templates included) and its own file and parameters; summary.json, the data
package (data/), the index and build.json depend on all of those. A notebook re-runs when one of its
inputs changed or one of the files it made is missing or differs from its record; nothing runs when
none has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crimeoutcomes.build import record as build_record
from crimeoutcomes.data.digests import file_sha256


@dataclass
class Plan:
    rerun: dict[str, str] = field(default_factory=dict)  # notebook file name -> why it re-runs
    refresh: list[str] = field(default_factory=list)  # why summary.json, the index and build.json are rebuilt

    @property
    def nothing_to_do(self) -> bool:
        return not self.rerun and not self.refresh

    def describe(self) -> str:
        """One line per reason, for the run's log."""
        if self.nothing_to_do:
            return "Nothing to do: every input is unchanged since the published build."
        by_reason: dict[str, list[str]] = {}
        for name, why in sorted(self.rerun.items()):
            by_reason.setdefault(why, []).append(name)
        lines = [f"re-running {', '.join(names)}: {why}" for why, names in by_reason.items()]
        if not self.rerun:
            lines.append("re-running no notebook")
        lines += [
            f"rebuilding summary.json, the data package, index.html, caveats.html and build.json: {why}"
            for why in self.refresh
        ]
        return "\n".join(lines)


def plan(
    existing: dict | None,
    wanted: dict,
    notebooks: list[Path],
    parameters: dict[str, dict],
    reports: Path,
    figures: Path,
    rebuild: bool = False,
) -> Plan:
    """What to re-run so that the build at ``reports``/``figures`` is what ``wanted`` describes.

    ``parameters``: notebook file name -> the parameters it would run with (as the record keeps them)."""
    everything = lambda why: Plan(rerun={n.name: why for n in notebooks})  # noqa: E731
    if rebuild:
        return everything("--rebuild")
    if existing is None:
        return everything("no build yet")
    shared = build_record.input_differences(existing, wanted)
    if shared:
        return everything("; ".join(shared))
    result = Plan()
    built = existing.get("notebooks", {})
    for notebook in notebooks:
        entry = built.get(notebook.name)
        if entry is None:
            result.rerun[notebook.name] = "not built yet"
        elif entry.get("sha256") != file_sha256(notebook):
            result.rerun[notebook.name] = f"{notebook.name} changed"
        elif entry.get("parameters") != parameters[notebook.name]:
            result.rerun[notebook.name] = _parameter_change(entry.get("parameters", {}), parameters[notebook.name])
    gone = sorted(set(built) - {n.name for n in notebooks})
    if gone:
        result.refresh.append(f"{', '.join(gone)} no longer in the notebooks folder")
    if existing.get("parameters") != wanted["parameters"]:
        result.refresh.append(_parameter_change(existing.get("parameters", {}), wanted["parameters"]))
    for problem, made_by in damaged_outputs(existing, reports, figures):
        if made_by in built and made_by not in result.rerun and made_by not in gone:
            result.rerun[made_by] = problem
        elif made_by == build_record.RUN_ALL and problem not in result.refresh:
            result.refresh.append(problem)
    if result.rerun and not result.refresh:
        result.refresh.append("a notebook re-runs")
    return result


def damaged_outputs(record: dict, reports: Path, figures: Path) -> list[tuple[str, str]]:
    """(what is wrong, the notebook or run_all.py that made it) for each output missing or changed."""
    found = []
    for name, entry in sorted(record.get("outputs", {}).items()):
        path = figures / name[len("figures/") :] if name.startswith("figures/") else reports / name
        if not path.is_file():
            found.append((f"{name} is missing", entry["built_by"]))
        elif file_sha256(path) != entry["sha256"]:
            found.append((f"{name} has changed since the build", entry["built_by"]))
    if not (reports / build_record.BUILD_FILE).is_file():
        found.append((f"{build_record.BUILD_FILE} is missing", build_record.RUN_ALL))
    return found


def _parameter_change(before: dict, now: dict) -> str:
    return "; ".join(
        f"{key} was {before.get(key)!r}, now {now.get(key)!r}"
        for key in sorted(set(before) | set(now))
        if before.get(key) != now.get(key)
    )
