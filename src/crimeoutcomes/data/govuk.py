"""Which published file holds which financial year: discovery on GOV.UK.

The Content API lists the data-set page's attachments (title, url, filename); the landing
page's HTML links are the fall-back. Files are classified by their link title, as the page
words them; a year re-issued under a newer date stamp supersedes the older file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import requests

from crimeoutcomes.data.http import HttpPolicy, get
from crimeoutcomes.data.schema import OUTCOMES, RECORDED_CRIME, WORKBOOK_SUFFIXES
from crimeoutcomes.data.years import financial_year_ending_march
from crimeoutcomes.errors import DownloadError, SourceDiscoveryError

PAGE_PATH = "government/statistical-data-sets/police-recorded-crime-and-outcomes-open-data-tables"
GOVUK = "https://www.gov.uk/"
CONTENT_API_URL = f"{GOVUK}api/content/{PAGE_PATH}"
LANDING_PAGE_URL = f"{GOVUK}{PAGE_PATH}"


_EXCLUDED = re.compile(
    r"alternat|subcode|supplementary|firearm|knive|knife|sharp|geographical reference|"
    r"user guide|vawg",
    re.IGNORECASE,
)
_OUTCOMES_TITLE = re.compile(r"\boutcomes\s+open\s+data\b", re.IGNORECASE)
_PFA_TITLE = re.compile(r"\bpolice\s+force\s+area\b", re.IGNORECASE)
_YEAR_ENDING = re.compile(r"years?\s+ending\s+march\s+(20\d{2})", re.IGNORECASE)
_RANGE = re.compile(r"\bto\s+(?:the\s+)?years?\s+ending\b|\bfrom\s+march\b", re.IGNORECASE)
_STAMP = re.compile(r"-(\d{2})(\d{2})(\d{2})\.(?:xlsx|ods)$", re.IGNORECASE)


@dataclass(frozen=True)
class SourceFile:
    kind: str  # OUTCOMES or RECORDED_CRIME
    financial_year: str | None  # the outcomes file's year; None for the recorded-crime file (all years)
    title: str
    url: str
    filename: str
    release: str | None  # the file name's ddmmyy date stamp, e.g. '230726'
    release_date: date | None


def release_of(filename: str) -> tuple[str | None, date | None]:
    match = _STAMP.search(filename)
    if not match:
        return None, None
    day, month, year = (int(g) for g in match.groups())
    try:
        return "".join(match.groups()), date(2000 + year, month, day)
    except ValueError:
        return None, None


def classify(title: str, url: str, filename: str | None = None) -> SourceFile | None:
    """A SourceFile for an outcomes or recorded-crime attachment; None for anything else."""
    title = " ".join(title.split())
    filename = filename or unquote(PurePosixPath(urlsplit(url).path).name)
    if not filename.lower().endswith(WORKBOOK_SUFFIXES) or _EXCLUDED.search(title):
        return None
    release, release_date = release_of(filename)
    if _OUTCOMES_TITLE.search(title):
        years = _YEAR_ENDING.findall(title)
        # Ranges ('... 2006 to year ending March 2014') and in-year files use another layout or are partial.
        if len(years) != 1 or _RANGE.search(title) or re.search(r"-to-", filename, re.IGNORECASE):
            return None
        return SourceFile(
            OUTCOMES, financial_year_ending_march(int(years[0])), title, url, filename, release, release_date
        )
    if _PFA_TITLE.search(title) and re.search(r"\bonwards\b", title, re.IGNORECASE):
        return SourceFile(RECORDED_CRIME, None, title, url, filename, release, release_date)
    return None


def from_content_api(document: dict, page_url: str = CONTENT_API_URL) -> list[SourceFile]:
    try:
        attachments = document["details"]["attachments"]
    except (KeyError, TypeError) as exc:
        raise SourceDiscoveryError("the Content API answer has no details.attachments list") from exc
    found = []
    for item in attachments:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        source = classify(item.get("title") or "", urljoin(page_url, item["url"]), item.get("filename"))
        if source:
            found.append(source)
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def from_landing_page(html: str, page_url: str = LANDING_PAGE_URL) -> list[SourceFile]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href, text in parser.links:
        source = classify(text, urljoin(page_url, href))
        if source:
            found.append(source)
    return found


def discover(
    policy: HttpPolicy | None = None, session: requests.Session | None = None, base_url: str | None = None
) -> list[SourceFile]:
    """Every outcomes and recorded-crime file on the page: Content API first, landing page second."""
    policy = policy or (HttpPolicy.for_base_url(base_url) if base_url else HttpPolicy())
    root = base_url.rstrip("/") + "/" if base_url else GOVUK
    api_url, page_url = f"{root}api/content/{PAGE_PATH}", f"{root}{PAGE_PATH}"
    problems = []
    try:
        response = get(api_url, policy, session)
        found = from_content_api(response.json(), api_url)
        if found:
            return found
        problems.append("the Content API listed no outcomes files")
    except (DownloadError, SourceDiscoveryError, ValueError) as exc:
        problems.append(f"Content API: {exc}")
    try:
        found = from_landing_page(get(page_url, policy, session).text, page_url)
    except DownloadError as exc:
        problems.append(f"landing page: {exc}")
        found = []
    if not found:
        raise SourceDiscoveryError("could not list the published files (" + "; ".join(problems) + ")")
    return found


def newest(sources: Iterable[SourceFile]) -> dict[tuple[str, str | None], SourceFile]:
    """The newest release of each (kind, financial year); undated files rank below dated ones."""
    chosen: dict[tuple[str, str | None], SourceFile] = {}
    for source in sources:
        key = (source.kind, source.financial_year)
        current = chosen.get(key)
        if current is None or (source.release_date or date.min) > (current.release_date or date.min):
            chosen[key] = source
    return chosen
