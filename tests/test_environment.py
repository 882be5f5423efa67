"""pyproject.toml and environment.yml name the same dependencies with the same version ranges."""

import re
import tomllib

from conftest import PROJECT_ROOT


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _normalise(r)
        for r in project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    }
    text = (PROJECT_ROOT / "environment.yml").read_text()
    section = text.split("\ndependencies:\n", 1)[1]
    listed = set()
    for line in section.splitlines():
        match = re.match(r"^  - ([A-Za-z0-9_.\-]+.*)$", line)
        if match and not match.group(1).startswith(("python=", "pip")):
            listed.add(_normalise(match.group(1)))
    assert listed == wanted
