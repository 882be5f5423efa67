"""No built page links to a page or file that its build did not make: every local href and src of
every HTML file is followed to a file (and its #fragment to an id in that file). Links out
(http, https, mailto) and inline data are for the reader, not checked here."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import VINTAGES, run_all

from crimeoutcomes.data.years import year_slug

OUTSIDE = ("http", "https", "mailto", "data", "javascript")


class _Links(HTMLParser):
    """Every href and src, and every id (or anchor name) a fragment can point to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.targets.append(value)
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)


def _parsed(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def broken_links(folder: Path) -> list[str]:
    """'page: link (why)' for each local link of each HTML file under ``folder`` that leads nowhere."""
    broken, parsed = [], {}
    for page in sorted(folder.rglob("*.html")):
        for link in _parsed(page).targets:
            parts = urlsplit(link)
            if parts.scheme in OUTSIDE or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
            where = f"{page.relative_to(folder)}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no file {target})")
            elif parts.fragment and target.suffix == ".html":
                anchors = parsed.setdefault(target, _parsed(target).anchors)
                # As a browser does: the fragment as written, then percent-decoded (nbconvert's ids keep %22).
                if not {parts.fragment, unquote(parts.fragment)} & anchors:
                    broken.append(f"{where} (no id {parts.fragment!r} in {target.name})")
    return broken


def _local_links(folder: Path) -> int:
    return sum(
        1
        for page in folder.rglob("*.html")
        for link in _parsed(page).targets
        if urlsplit(link).scheme not in OUTSIDE and not urlsplit(link).netloc
    )


def test_a_test_page_with_broken_links_is_caught(tmp_path):
    (tmp_path / "forces").mkdir()
    (tmp_path / "forces" / "kent.html").write_text('<p id="top">Kent</p>', encoding="utf-8")
    (tmp_path / "a.html").write_text(
        '<a href="forces/kent.html">ok</a><a href="forces/kent.html#top">ok</a><a href="https://gov.uk/x">out</a>'
        '<img src="data:image/png;base64,AA"><a href="#here">ok</a><h2 id="here">here</h2>'
        '<a href="forces/essex.html">gone</a><a href="forces/kent.html#nowhere">no id</a><img src="fig.png">',
        encoding="utf-8",
    )
    found = broken_links(tmp_path)
    assert [line.split(" (")[0] for line in found] == [
        "a.html: forces/essex.html",
        "a.html: forces/kent.html#nowhere",
        "a.html: fig.png",
    ]


def test_every_local_link_of_the_sample_build_and_its_site_resolves(built, site):
    for folder in (built["reports"], site):
        assert _local_links(folder) > 50, f"too few links in {folder} for this test to mean anything"
        assert broken_links(folder) == [], folder


def _fresh_build(sample_files, tmp_path, *options) -> Path:
    """run_all.py on the sample into an empty folder with ``options``; the year's reports folder. One
    year read (no trend window): what is checked is which pages link where, the same for any window."""
    out = tmp_path / "out"
    result = run_all(
        "--source", "local", "--raw-dir", str(sample_files.folder), "--out", str(out),
        "--first-year", VINTAGES[-1], *options, env_root=tmp_path / "root",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out / "reports" / "sample" / year_slug(VINTAGES[-1])


def test_only_the_force_comparison_into_a_fresh_folder_links_to_no_force_page(sample_files, tmp_path):
    """A year with no earlier build: --only 02 makes no force page, so report 02 links to none."""
    reports = _fresh_build(sample_files, tmp_path, "--only", "02")
    assert not (reports / "forces").exists()
    page = (reports / "02-force-comparison.html").read_text(encoding="utf-8")
    assert "forces/" not in page and "No force page is published with this copy" in page
    assert broken_links(reports) == []


def test_one_force_page_alone_links_to_no_missing_report(sample_files, tmp_path):
    """--only 05 for one force into a fresh folder: its page links to the index, not to a report 02
    the build did not make."""
    reports = _fresh_build(sample_files, tmp_path, "--only", "05", "--forces", "Kent")
    assert not (reports / "02-force-comparison.html").exists()
    page = (reports / "forces" / "kent.html").read_text(encoding="utf-8")
    assert "02-force-comparison.html" not in page and "../index.html" in page
    assert broken_links(reports) == []
