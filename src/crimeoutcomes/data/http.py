"""HTTP with the project's safety rules: https only, GOV.UK hosts only (redirects included),
retries with back-off, and a size ceiling. A base URL given explicitly (for tests against a
local server) widens the rules to that one host and scheme, and to nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from crimeoutcomes.errors import DownloadError

GOVUK_HOSTS = ("www.gov.uk", "assets.publishing.service.gov.uk")
USER_AGENT = "crimeoutcomes (reproducible analysis of Home Office outcomes open data)"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class HttpPolicy:
    allowed_hosts: tuple[str, ...] = GOVUK_HOSTS
    allowed_schemes: tuple[str, ...] = ("https",)
    retries: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 60.0
    max_bytes: int = 250 * 1024**2  # the largest published file is ~45 MB

    @classmethod
    def for_base_url(cls, base_url: str, **overrides) -> HttpPolicy:
        """Rules for a test server: its own host and scheme only."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(f"base URL {base_url!r} is not an http(s) URL")
        return replace(cls(), allowed_hosts=(parts.hostname,), allowed_schemes=(parts.scheme,), **overrides)


def check_url(url: str, policy: HttpPolicy) -> None:
    parts = urlsplit(url)
    if parts.scheme not in policy.allowed_schemes:
        raise DownloadError(f"refusing {url}: only {'/'.join(policy.allowed_schemes)} is allowed")
    if parts.hostname not in policy.allowed_hosts:
        raise DownloadError(f"refusing {url}: host {parts.hostname!r} is not one of {', '.join(policy.allowed_hosts)}")


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def get(
    url: str, policy: HttpPolicy, session: requests.Session | None = None, *, stream: bool = False, sleep=time.sleep
) -> requests.Response:
    """GET ``url`` under ``policy``, following only redirects the policy allows; retries with back-off."""
    session = session or new_session()
    last_problem = "no attempt made"
    for attempt in range(policy.retries + 1):
        if attempt:
            sleep(policy.backoff_seconds * 2 ** (attempt - 1))
        try:
            response = _get_following_redirects(url, policy, session, stream)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if _name_not_resolved(exc):
                # Not transient (no network, or no such host): waiting and retrying would only delay the answer.
                raise DownloadError(
                    f"cannot reach {urlsplit(url).hostname}: its name does not resolve (no network connection?)"
                ) from exc
            last_problem = f"{type(exc).__name__}: {exc}"
            continue
        if response.status_code in _RETRY_STATUS:
            last_problem = f"HTTP {response.status_code}"
            response.close()
            continue
        if response.status_code >= 400:
            response.close()
            raise DownloadError(f"{url}: HTTP {response.status_code}")
        return response
    raise DownloadError(f"{url}: gave up after {policy.retries + 1} attempts ({last_problem})")


def _name_not_resolved(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NameResolutionError) or isinstance(getattr(seen, "reason", None), NameResolutionError):
            return True
        seen = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else seen.__cause__
    return False


def _get_following_redirects(url: str, policy: HttpPolicy, session: requests.Session, stream: bool):
    for _ in range(_MAX_REDIRECTS + 1):
        check_url(url, policy)
        response = session.get(url, stream=stream, timeout=policy.timeout_seconds, allow_redirects=False)
        if response.is_redirect:
            location = response.headers.get("Location", "")
            response.close()
            url = urljoin(url, location)
            continue
        return response
    raise DownloadError(f"{url}: more than {_MAX_REDIRECTS} redirects")
