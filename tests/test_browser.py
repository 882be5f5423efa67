"""The site built from the sample, opened from disk in headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright): no broken image, no console error, no request to any host, alt text on every
figure, headings in order, numbers with thousands separators, no broken link. A screenshot of each
page's first screen is saved in the test's temporary folder."""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import NOTEBOOK_HTML

from crimeoutcomes.build.site import build_site

CHROMIUM = os.environ.get("CRIMEOUTCOMES_CHROMIUM", "/usr/bin/chromium")
#: The flags a sandboxed, offline machine needs (no background calls to Google's services).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

PAGE_CHECKS = """() => ({
  brokenImages: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
                     .map(i => i.src.slice(0, 60)),
  imagesWithoutAlt: Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim())
                         .map(i => i.src.slice(0, 60)),
  images: document.images.length,
  headings: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).map(h => Number(h.tagName[1])),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
  cells: Array.from(document.querySelectorAll('td:not(.identifier), th')).map(c => c.innerText.trim()),
  text: document.body.innerText,
  lang: document.documentElement.lang,
  title: document.title,
})"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: 'make test' installs Debian's chromium (see the Makefile)")
        pytest.skip(
            f"{CHROMIUM} is not installed (Debian packages chromium and chromium-driver; "
            "'make test' installs them where it may use apt-get)"
        )
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _pages(site):
    year = site / "sample" / "2024-25"
    return [
        site / "index.html",
        year / "index.html",
        year / "figures" / "index.html",
        year / "caveats.html",
        *[year / name for name in NOTEBOOK_HTML],
        # Two force pages of the 44 (one template): the biggest force and British Transport Police.
        year / "forces" / "metropolitan-police.html",
        year / "forces" / "british-transport-police.html",
    ]


WIDTHS = {"desktop": 1280, "phone": 390}

#: Is any page wider than the window, and is any table wider than its box without a box that scrolls?
WIDTH_CHECKS = """() => ({
  pageWidth: document.documentElement.scrollWidth,
  hiddenColumns: Array.from(document.querySelectorAll('table')).filter(t => {
      const box = t.closest('.table-scroll');
      const overflow = box ? getComputedStyle(box).overflowX : 'visible';
      return t.getBoundingClientRect().right > document.documentElement.clientWidth + 1
             && !(box && (overflow === 'auto' || overflow === 'scroll'));
  }).map(t => t.id || t.className),
  unreachableBoxes: Array.from(document.querySelectorAll('.table-scroll'))
      .filter(b => b.scrollWidth > b.clientWidth && b.tabIndex < 0).length,
})"""


def _open(browser, page_path, screenshots, axe=None) -> dict:
    """Load one page from disk at 1280 px with every request to a host refused and recorded, and
    take what each test checks of it in that one visit: the page checks, its requests and console
    problems, a screenshot of its first screen, the tables that scroll, its width, and (given
    ``axe``) axe's violations, run last (its script is added to the page)."""
    context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
    page = context.new_page()
    requests, problems = [], []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def refuse_hosts(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            return route.continue_()
        requests.append(url)
        return route.abort()

    page.route("**/*", refuse_hosts)
    page.goto(page_path.as_uri(), wait_until="load")
    visit = {
        "found": page.evaluate(PAGE_CHECKS),
        "scrolling": page.evaluate(TABLES_SCROLLING),
        "widths": page.evaluate(WIDTH_CHECKS),
        "shot": screenshots / f"{page_path.parent.name}-{page_path.stem}.png",
    }
    # The first screen, not the whole page: a full-page screenshot took ten times as long (7 s for
    # the twelve pages) and a test needs only to see that the page paints.
    page.screenshot(path=str(visit["shot"]))
    visit |= {"requests": list(requests), "problems": list(problems)}
    visit["violations"] = None if axe is None else axe.run(page).response["violations"]
    context.close()
    return visit


@pytest.fixture(scope="module")
def visits(browser, site, tmp_path_factory) -> list[dict]:
    """Each page of ``_pages`` visited once at 1280 px (``_open``), for the tests below to check."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # the axe test skips and says so
        Axe = None
    screenshots = tmp_path_factory.mktemp("screenshots")
    return [_open(browser, page_path, screenshots, Axe() if Axe else None) for page_path in _pages(site)]


#: Every table box on the page whose table is wider than the box (it would scroll inside it).
TABLES_SCROLLING = """() => Array.from(document.querySelectorAll('.table-scroll'))
  .filter(b => b.scrollWidth > b.clientWidth)
  .map(b => `${(b.querySelector('table') || {}).id}: ${b.scrollWidth} px in ${b.clientWidth}`)"""


def tables_scrolling(browser, page_path, width=1280) -> tuple[int, list[str]]:
    """(tables on the page, those wider than their box) with the window ``width`` px wide."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    scrolling, tables = page.evaluate(TABLES_SCROLLING), page.locator(".table-scroll").count()
    context.close()
    return tables, scrolling


@pytest.mark.parametrize(
    "which",
    range(10),
    ids=["site index", "year index", "figures index", "caveats page", *NOTEBOOK_HTML, "Metropolitan Police", "BTP"],
)
def test_each_page_opens_offline_whole_and_readable(visits, site, which):
    page_path, visit = _pages(site)[which], visits[which]
    found, requests, problems, shot = visit["found"], visit["requests"], visit["problems"], visit["shot"]
    assert not requests, f"{page_path.name} asked for {requests[:3]}"
    assert not problems, f"{page_path.name}: {problems[:3]}"
    assert not found["brokenImages"], f"broken images in {page_path.name}"
    assert not found["imagesWithoutAlt"], f"images without alt text in {page_path.name}"
    assert found["lang"] == "en" and found["title"]
    levels = found["headings"]
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{page_path.name}: headings {levels}"
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{page_path.name} skips a heading level: {levels}"
    unseparated = [c for c in found["cells"] if re.fullmatch(r"-?\d{5,}", c)]
    assert not unseparated, f"{page_path.name}: numbers without thousands separators {unseparated[:5]}"
    assert "SYNTHETIC" in found["text"]
    # A table wider than its box scrolls inside it: at 1280 px none should have to.
    assert visit["scrolling"] == [], f"{page_path.name}: a table scrolls at 1280 px"
    for href in found["links"]:
        target = urlsplit(href)
        if target.scheme or href.startswith("#"):
            continue  # links out (to GOV.UK sources) are for the reader to follow, not loaded by the page
        assert (page_path.parent / unquote(target.path)).exists(), f"{page_path.name}: broken link {href}"
    assert shot.stat().st_size > 10_000


def test_reports_show_their_figures_with_alt_text_that_says_what_they_are(visits, site):
    report = site / "sample" / "2024-25" / "02-force-comparison.html"
    found = visits[_pages(site).index(report)]["found"]
    assert found["images"] >= 3
    html = report.read_text(encoding="utf-8")
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert len(alts) == found["images"]
    assert any(alt.startswith("SYNTHETIC DATA, invented numbers. Funnel plot:") for alt in alts), alts[:3]
    assert all(".csv, saved beside the figure" in alt for alt in alts)


def test_the_site_lists_each_year_and_is_self_contained(site, built):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="sample/2024-25/index.html"' in index and "SYNTHETIC" in index
    year = site / "sample" / "2024-25"
    assert sorted(p.name for p in year.glob("*.html")) == sorted(NOTEBOOK_HTML + ["index.html", "caveats.html"])
    assert (year / "summary.json").read_bytes() == (built["reports"] / "summary.json").read_bytes()
    figures = {p.name for p in built["figures"].iterdir()}
    assert figures and figures <= {p.name for p in (year / "figures").iterdir()}
    assert not list(site.rglob("*.ipynb"))
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', text), f"{page} loads from another host"


def test_make_site_needs_a_build_first(tmp_path):
    from crimeoutcomes.errors import CrimeOutcomesError

    with pytest.raises(CrimeOutcomesError, match="no built reports.*make reports"):
        build_site(tmp_path / "empty")
    assert not (tmp_path / "empty" / "site").exists()
    shutil.rmtree(tmp_path / "empty", ignore_errors=True)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_no_page_scrolls_sideways_and_no_column_is_lost(browser, visits, site, width):
    """At 1280 px and on a 390 px phone, every page fits its window; a table wider than the window
    scrolls inside its own box (which a keyboard can reach), so no column is cut off silently."""
    for page_path, visit in zip(_pages(site), visits, strict=True):
        if width == WIDTHS["desktop"]:
            found = visit["widths"]  # measured in the page's one visit at this width
        else:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            found = page.evaluate(WIDTH_CHECKS)
            context.close()
        assert found["pageWidth"] <= width, f"{page_path.name} is {found['pageWidth']} px wide at {width} px"
        assert not found["hiddenColumns"], f"{page_path.name} at {width} px: {found['hiddenColumns']}"
        assert not found["unreachableBoxes"], page_path.name


def test_axe_finds_no_serious_or_critical_violation_on_any_page(visits, site):
    """axe-core (bundled by axe-playwright-python, nothing fetched) on every page of the site."""
    pytest.importorskip("axe_playwright_python.sync_playwright")
    found = {
        page_path.name: [
            f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['html'][:80]}"
            for v in visit["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        for page_path, visit in zip(_pages(site), visits, strict=True)
    }
    assert all(visit["violations"] is not None for visit in visits)
    assert not {name: problems for name, problems in found.items() if problems}
