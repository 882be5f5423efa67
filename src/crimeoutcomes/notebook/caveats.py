"""Caveats as data: reference/caveats.csv says which forces, years, offence codes and outcome types
each caveat touches; a chart or table asks which apply to what it shows.

Numbers are the rows' order in the file (1 for the first caveat), the same on every page and in
every build, so marker [3] always means the same caveat; a caveat for synthetic data only is left
out of real builds but keeps its number. Adding a caveat is adding a row to the file.

The API a notebook or page uses (``Analysis.save_figure`` and ``Analysis.table`` call it for you)::

    scope = scope_of(frame, outcome_types=("8",), synthetic=True)  # years, forces, codes from the columns
    found = caveats_for(scope)                                    # the caveats touching it, numbered
    marker_note(found)        # 'Caveats [1] [3]: see the caveats page' (drawn under a chart)
    markers_html(found, "caveats.html")  # the same, each marker a link to caveats.html#caveat-N
    year_span("outcome-22-voluntary")    # ('2019/20', '2020/21'): a caveat's years, for shading
"""

from __future__ import annotations

import csv
import html
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from crimeoutcomes.config import REFERENCE_DIR
from crimeoutcomes.data.codes import forces as known_forces
from crimeoutcomes.data.codes import outcome_types
from crimeoutcomes.data.years import financial_year_ending_march, normalise_financial_year, start_year
from crimeoutcomes.errors import CrimeOutcomesError, InputFileError

CAVEATS_FILE = REFERENCE_DIR / "caveats.csv"
COLUMNS = ("id", "forces", "financial_years", "offence_codes", "outcome_types", "synthetic_only", "text", "source_url")
_LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Caveat:
    number: int
    id: str
    forces: frozenset[str]  # empty: every force
    year_ranges: tuple[tuple[int | None, int | None], ...]  # start years, inclusive; empty: every year
    offence_codes: frozenset[str]  # empty: every offence
    outcome_types: frozenset[str]  # empty: every outcome type
    synthetic_only: bool
    text: str
    source_url: str

    @property
    def marker(self) -> str:
        return f"[{self.number}]"

    def covers_year(self, financial_year: str) -> bool:
        year = start_year(financial_year)
        return not self.year_ranges or any(
            (first is None or first <= year) and (last is None or year <= last) for first, last in self.year_ranges
        )


@dataclass(frozen=True)
class Scope:
    """What a chart or table shows. None in a field means it is not narrowed there: a national
    figure shows every force, a chart of all outcomes every outcome type."""

    financial_years: Sequence[str] | None = None
    forces: Sequence[str] | None = None
    offence_codes: Sequence[str] | None = None
    outcome_types: Sequence[str] | None = None
    synthetic: bool = False


# ---- reading the file ---------------------------------------------------------------------------------


@cache
def load_caveats(path: Path = CAVEATS_FILE) -> tuple[Caveat, ...]:
    """Every caveat of the file, numbered in order; InputFileError naming the row and column of any
    value it cannot take (a misspelt force would silently never match)."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise InputFileError(
                path, f"the columns must be {', '.join(COLUMNS)} (found: {', '.join(reader.fieldnames or ())})"
            )
        records = list(reader)
    caveats: list[Caveat] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        row = number + 1  # as a spreadsheet shows it, the header being row 1
        caveat = _caveat(path, row, number, record)
        if caveat.id in seen:
            raise InputFileError(
                path, f"id {caveat.id!r} is already used in row {seen[caveat.id]}", column="id", row=row
            )
        seen[caveat.id] = row
        caveats.append(caveat)
    return tuple(caveats)


def _caveat(path: Path, row: int, number: int, record: dict) -> Caveat:
    def fail(column: str, problem: str) -> InputFileError:
        return InputFileError(path, problem, column=column, row=row)

    if None in record or any(value is None for value in record.values()):
        raise fail("id", f"the row has {'more' if None in record else 'fewer'} fields than the header")
    for column in ("id", "text"):
        if not record[column].strip():
            raise fail(column, f"{column} is empty")
    forces = _items(record["forces"])
    unknown = [f for f in forces if f not in known_forces()]
    if unknown:
        raise fail("forces", f"unknown force {unknown[0]!r} (spell it as reference/forces.csv does)")
    types = _items(record["outcome_types"])
    known_types = {t.code for t in outcome_types()}
    if any(t not in known_types for t in types):
        bad = next(t for t in types if t not in known_types)
        raise fail("outcome_types", f"unknown outcome type {bad!r} (known: reference/outcome_types.csv)")
    flag = record["synthetic_only"].strip().lower()
    if flag not in ("true", "false"):
        raise fail("synthetic_only", f"synthetic_only must be true or false, not {record['synthetic_only']!r}")
    url = record["source_url"].strip()
    if url and not url.startswith("https://"):
        raise fail("source_url", f"a source URL must start with https:// (or be empty), not {url!r}")
    try:
        ranges = tuple(_year_range(item) for item in _items(record["financial_years"]))
    except ValueError as exc:
        raise fail(
            "financial_years", f"{exc} (write 2019/20, 2019/20-2020/21, 2022/23- or -2020/21, separated by ';')"
        ) from exc
    return Caveat(
        number,
        record["id"].strip(),
        frozenset(forces),
        ranges,
        frozenset(_items(record["offence_codes"])),
        frozenset(types),
        flag == "true",
        record["text"].strip(),
        url,
    )


def _items(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(_LIST_SEPARATOR) if item.strip()]


def _year_range(item: str) -> tuple[int | None, int | None]:
    """'2019/20' -> (2019, 2019); '2022/23-' -> (2022, None); '-2020/21' -> (None, 2020)."""
    match = _YEAR_RANGE.match(item)
    if not match or not (match.group(1) or match.group(3)) or (match.group(2) is None and match.group(3)):
        raise ValueError(f"not a financial year or range: {item!r}")
    first, dash, last = match.groups()
    start = start_year(normalise_financial_year(first)) if first else None
    end = start_year(normalise_financial_year(last)) if last else None
    if not dash:
        return start, start
    if start is not None and end is not None and end < start:
        raise ValueError(f"range {item!r} ends before it starts")
    return start, end


#: Years in the file's one spelling (2019/20), so that the dash can only mean a range.
_YEAR_RANGE = re.compile(r"^(\d{4}/\d{2})?\s*(-)?\s*(\d{4}/\d{2})?$")


# ---- which apply ------------------------------------------------------------------------------------


def caveats_for(scope: Scope, caveats: Iterable[Caveat] | None = None) -> list[Caveat]:
    """The caveats touching what ``scope`` shows, in their numbered order.

    A caveat applies when, in each of forces, years, offence codes and outcome types, either it is
    not narrowed or what is shown includes one of its values; one for synthetic data only applies to
    synthetic scopes alone.
    """
    caveats = load_caveats() if caveats is None else tuple(caveats)
    shown_forces = _checked_forces(scope.forces)
    years = None if scope.financial_years is None else [normalise_financial_year(y) for y in scope.financial_years]
    return [
        c
        for c in caveats
        if (scope.synthetic or not c.synthetic_only)
        and _overlaps(c.forces, shown_forces)
        and _overlaps(c.offence_codes, scope.offence_codes)
        and _overlaps(c.outcome_types, scope.outcome_types)
        and (years is None or any(c.covers_year(y) for y in years))
    ]


def _overlaps(narrowed: frozenset[str], shown: Sequence[str] | None) -> bool:
    return not narrowed or shown is None or bool(narrowed.intersection(shown))


def _checked_forces(shown: Sequence[str] | None) -> Sequence[str] | None:
    # A misspelt force in a notebook would silently get no caveat: refuse it instead.
    unknown = [f for f in shown or () if f not in known_forces()]
    if unknown:
        raise CrimeOutcomesError(
            f"caveat scope names an unknown force {unknown[0]!r} (spell it as reference/forces.csv does)"
        )
    return shown


def markers(caveats: Iterable[Caveat]) -> str:
    """The short mark a chart or table carries: '[1][3]', or '' when no caveat applies."""
    return "".join(c.marker for c in caveats)


# ---- the caveats page ----------------------------------------------------------------------------


#: Words of a caveat's text that speak of the default question's offences, and what another
#: question's pages say instead (the default's pages keep the file's text as it is).
_FOR_ANOTHER_QUESTION = {
    "btp-denominators": (" (2,219 sexual offences in the real 2024/25 file)", ""),
}


def for_another_question(caveats: Iterable[Caveat], outcome_types: Sequence[str]) -> tuple[Caveat, ...]:
    """The caveats that concern another question's outcome types (one about outcome types 8 and 22
    is not a charge's), in words true for its offences."""
    kept = []
    for caveat in caveats:
        if caveat.outcome_types and not caveat.outcome_types & set(outcome_types):
            continue
        default_words, other_words = _FOR_ANOTHER_QUESTION.get(caveat.id, ("", ""))
        kept.append(replace(caveat, text=caveat.text.replace(default_words, other_words)) if default_words else caveat)
    return tuple(kept)


def caveats_html(
    synthetic: bool = False, caveats: Iterable[Caveat] | None = None, outcome_types: Sequence[str] | None = None
) -> str:
    """Every caveat as an HTML ordered list (numbers as in the markers), text escaped, each item with
    an id ``caveat-N`` for links from the markers, where it applies in words and its source where it
    has one. ``outcome_types``: another question's, whose pages list only the caveats that concern
    them (``for_another_question``); None for the default question."""
    caveats = load_caveats() if caveats is None else tuple(caveats)
    if outcome_types is not None:
        caveats = for_another_question(caveats, outcome_types)
    e = html.escape
    items = []
    for caveat in caveats:
        if caveat.synthetic_only and not synthetic:
            continue
        source = (
            f'<br><span class="caveat-where">Source: <a class="caveat-source" '
            f'href="{e(caveat.source_url, quote=True)}">{e(caveat.source_url)}</a></span>'
            if caveat.source_url
            else ""
        )
        items.append(
            f'  <li id="caveat-{caveat.number}" value="{caveat.number}">'
            f'<strong class="caveat-number">{caveat.marker}</strong> {e(caveat.text)}'
            f'<br><span class="caveat-where">Applies to: {e(scope_words(caveat))}.</span>{source}</li>'
        )
    return '<ol class="caveats">\n' + "\n".join(items) + "\n</ol>"


def _listed(items: Sequence[str], one: str, many: str, every: str) -> str:
    if not items:
        return every
    if len(items) == 1:
        return f"{one} {items[0]}"
    return f"{many} {', '.join(items[:-1])} and {items[-1]}"


def _years_words(caveat: Caveat) -> str:
    def name(year: int) -> str:
        return financial_year_ending_march(year + 1)

    spans = []
    for first, last in caveat.year_ranges:
        if first is not None and first == last:
            spans.append(name(first))
        elif first is None:
            # open at both ends: every year (as Caveat.applies reads it)
            spans.append(f"up to {name(last)}" if last is not None else "every year")
        elif last is None:
            spans.append(f"from {name(first)}")
        else:
            spans.append(f"{name(first)} to {name(last)}")
    return "every year" if not spans else "; ".join(spans)


def scope_words(caveat: Caveat) -> str:
    """Where a caveat applies, in words: 'Greater Manchester; 2019/20; every offence; every outcome type'."""
    descriptions = {t.code: t.description for t in outcome_types()}
    types = [f"{t} ({_short(descriptions[t])})" for t in sorted(caveat.outcome_types, key=_code_order)]
    parts = [
        _listed(sorted(caveat.forces), "", f"{len(caveat.forces)} forces:", "every force").strip(),
        _years_words(caveat),
        _listed(sorted(caveat.offence_codes), "offence code", "offence codes", "every offence"),
        _listed(types, "outcome type", "outcome types", "every outcome type"),
    ]
    words = "; ".join(parts)
    return f"{words}; synthetic sample only" if caveat.synthetic_only else words


def _short(description: str, most: int = 60) -> str:
    """An outcome type's description cut at a word, without a dangling comma or dash."""
    cut = textwrap.shorten(description, most, placeholder="")
    return description if cut == description else cut.rstrip(",;:–- ") + "…"


def _code_order(code: str) -> tuple[int, str]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 0, code)


# ---- what a chart or table shows, and its markers ---------------------------------------------------

#: The columns a frame's years, forces and offence codes are read from (a change table names the
#: two years it compares in from_year and to_year).
YEAR_COLUMNS = ("financial_year", "from_year", "to_year")
FORCE_COLUMN = "force"
OFFENCE_CODE_COLUMN = "offence_code"
#: What the caveats page is called wherever a marker points to it.
PAGE_NAME = "caveats.html"


def scope_of(
    data,
    *,
    financial_years: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
    offence_codes: Sequence[str] | None = None,
    outcome_types: Sequence[str] | None = None,
    synthetic: bool = False,
    default_years: Sequence[str] | None = None,
) -> Scope:
    """The Scope of what ``data`` (a pandas or polars frame of the numbers a chart or table shows)
    covers. Each field given wins; otherwise years are read from the frame's ``financial_year``,
    ``from_year`` and ``to_year`` columns (else ``default_years``; None: every year), forces from
    ``force`` (names not in reference/forces.csv, such as a row for England and Wales, widen it to
    every force) and offence codes from ``offence_code``. Outcome types cannot be read from a frame:
    None (every type) unless given, e.g. ``("8",)`` for a chart of community resolutions alone."""
    from crimeoutcomes.data.frames import as_pandas

    frame = as_pandas(data)

    def values(column: str) -> list[str]:
        return sorted({str(v) for v in frame[column].dropna()}) if column in frame.columns else []

    if financial_years is None:
        present = [c for c in YEAR_COLUMNS if c in frame.columns]
        financial_years = sorted({y for c in present for y in values(c)}) if present else default_years
    if forces is None and FORCE_COLUMN in frame.columns:
        named = values(FORCE_COLUMN)
        forces = named if set(named) <= set(known_forces()) else None
    if offence_codes is None and OFFENCE_CODE_COLUMN in frame.columns:
        offence_codes = values(OFFENCE_CODE_COLUMN)
    return Scope(
        None if financial_years is None else list(financial_years),
        None if forces is None else list(forces),
        None if offence_codes is None else list(offence_codes),
        None if outcome_types is None else [str(t) for t in outcome_types],
        synthetic,
    )


def marker_note(caveats: Iterable[Caveat]) -> str:
    """The line drawn under a chart: 'Caveats [1] [3]: see the caveats page', or '' when none applies."""
    found = list(caveats)
    return f"Caveats {' '.join(c.marker for c in found)}: see the caveats page" if found else ""


def markers_html(caveats: Iterable[Caveat], page: str = PAGE_NAME, shown: str = "figure") -> str:
    """The note for the page: 'Caveats on this figure: [1] [3] (caveats page)', each marker a link
    to its item on the caveats page (``page``, relative to the page that shows it: 'caveats.html'
    from a report, '../caveats.html' one folder down) with the caveat's text as its title; ''
    when none applies. ``shown``: what it marks ('figure', 'table')."""
    found = list(caveats)
    if not found:
        return ""
    e = html.escape
    links = " ".join(
        f'<a class="caveat-marker" href="{e(page)}#caveat-{c.number}" title="{e(c.text, quote=True)}">{c.marker}</a>'
        for c in found
    )
    return f'Caveats on this {e(shown)}: {links} (<a href="{e(page)}">caveats page</a>)'


def caveat(caveat_id: str, caveats: Iterable[Caveat] | None = None) -> Caveat:
    """The caveat with this id (CrimeOutcomesError naming the ids there are)."""
    caveats = load_caveats() if caveats is None else tuple(caveats)
    for found in caveats:
        if found.id == caveat_id:
            return found
    raise CrimeOutcomesError(f"no caveat {caveat_id!r} in the caveats file (ids: {', '.join(c.id for c in caveats)})")


def year_span(caveat_id: str, caveats: Iterable[Caveat] | None = None) -> tuple[str | None, str | None]:
    """The first and last financial years a caveat covers (None where its range is open), for a
    chart that shades them: ``year_span("outcome-22-voluntary")`` -> ('2019/20', '2020/21')."""
    found = caveat(caveat_id, caveats)
    if len(found.year_ranges) != 1:
        raise CrimeOutcomesError(f"caveat {caveat_id!r} has {len(found.year_ranges)} year ranges, not one")
    first, last = found.year_ranges[0]
    return (
        None if first is None else financial_year_ending_march(first + 1),
        None if last is None else financial_year_ending_march(last + 1),
    )
