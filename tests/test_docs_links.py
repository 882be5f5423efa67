"""The documentation holds together: every relative link in the READMEs, docs/ and CONTRIBUTING.md
points at a file (or folder) that exists, and at a heading that exists where it names one; and the
top-level README stays a five-minute read (at most 250 lines)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MOST_LINES = 250

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`+[^`\n]*`+")
# [text](target) or ![alt](target), the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def documents() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "notebooks" / "README.md"]
    found += sorted((ROOT / "docs").glob("*.md"))
    found += [p for p in ROOT.glob("*/README.md") if not p.parent.name.startswith(".")]  # not .pytest_cache
    found.append(ROOT / "src" / "crimeoutcomes" / "reference" / "README.md")
    return sorted({p for p in found if p.is_file()})


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped (not - or _), spaces to hyphens."""
    words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", words).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = anchor(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path) -> list[str]:
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)  # http:, https:, mailto: ...


def test_the_documents_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in documents()}
    assert {"README.md", "docs/README.md", "docs/method.md", "tests/README.md", "data/README.md"} <= names


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path):
    broken = []
    for target in filter(relative, links(path)):
        file_part, _, fragment = target.partition("#")
        where = (path.parent / file_part).resolve() if file_part else path
        if not where.exists():
            broken.append(f"{target}: no such file or folder")
        elif fragment and where.suffix == ".md" and fragment not in anchors(where):
            broken.append(f"{target}: no heading #{fragment} in {where.relative_to(ROOT)}")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_readme_is_a_five_minute_read():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MOST_LINES, f"README.md has {lines} lines: move detail to docs/"


def test_the_checker_sees_links_and_anchors(tmp_path):
    """The checks can fail: a link inside code is not a link, a heading's id is GitHub's."""
    page = tmp_path / "page.md"
    page.write_text("## Run `run_all.py`, then: done!\n\n[a](b.md) `[c](d.md)`\n\n```\n[e](f.md)\n```\n")
    assert links(page) == ["b.md"]
    assert anchors(page) == {"run-run_allpy-then-done"}
    assert not relative("https://example.org/x.md") and relative("../docs/x.md#y")


def _layout_tree() -> str:
    text = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    return text[text.index("src/crimeoutcomes/") : text.index("\ntests/ ")]


def test_the_layout_names_every_room_and_module():
    """docs/layout.md's tree matches the package: every folder and module of src/crimeoutcomes is
    named in it, and every room it names exists."""
    tree = _layout_tree()
    package = ROOT / "src" / "crimeoutcomes"
    named = set(re.findall(r"[\w.]+", tree))
    missing = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).parts
        room, stem = parts[0], path.stem
        wanted = [f"{room}/"] if len(parts) > 1 else [path.name]
        if stem != "__init__" and len(parts) > 1:
            wanted.append(stem)
        missing += [w for w in wanted if w.rstrip("/") not in named and w not in tree]
    assert not missing, f"docs/layout.md does not name: {sorted(set(missing))}"
    rooms = re.findall(r"^  ([a-z_]+)/ ", tree, re.M)
    assert rooms and all((package / room).is_dir() for room in rooms), rooms
