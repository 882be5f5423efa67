"""Discovery and download over real HTTP, against a local server on 127.0.0.1."""

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crimeoutcomes import cli
from crimeoutcomes.data.cache import file_sha256
from crimeoutcomes.data.download import fetch
from crimeoutcomes.data.govuk import PAGE_PATH, discover
from crimeoutcomes.data.http import HttpPolicy, check_url, get
from crimeoutcomes.data.manifest import load_manifest
from crimeoutcomes.errors import DownloadError

OUTCOMES_2025 = "prc-outcomes-open-data-mar2025-tables-230726.xlsx"
OUTCOMES_2025_OLD = "prc-outcomes-open-data-mar2025-tables-230426.xlsx"
OUTCOMES_2024_BROKEN = "prc-outcomes-open-data-mar2024-tables-230726.xlsx"
PFA = "prc-pfa-mar2013-onwards-tables-230726.ods"


class Site:
    """What the server serves, and what it was asked for."""

    def __init__(self, sample_files):
        self.files = {
            OUTCOMES_2025: sample_files.outcomes["2024/25"].read_bytes(),
            OUTCOMES_2025_OLD: sample_files.outcomes["2022/23"].read_bytes(),
            OUTCOMES_2024_BROKEN: b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
            PFA: sample_files.recorded_crime.read_bytes(),
        }
        self.api_status = 200
        self.requests: list[str] = []
        self.flaky_left = 2
        self.slow = False

    def attachments(self, base):
        titles = {
            OUTCOMES_2025: "Outcomes open data, year ending March 2025",
            OUTCOMES_2025_OLD: "Outcomes open data, year ending March 2025",
            OUTCOMES_2024_BROKEN: "Outcomes open data, year ending March 2024",
            PFA: "Police recorded crime open data Police Force Area tables, year ending March 2013 onwards",
        }
        return [
            {"attachment_type": "file", "title": t, "url": f"{base}/media/{i:024x}/{f}", "filename": f}
            for i, (f, t) in enumerate(titles.items())
        ]


@pytest.fixture
def server(sample_files):
    site = Site(sample_files)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body=b"", content_type="application/octet-stream", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, body):
            """A slow connection: the body in small pieces, for a download to be killed part-way."""
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for start in range(0, len(body), 16 * 1024):
                    self.wfile.write(body[start : start + 16 * 1024])
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self):
            site.requests.append(self.path)
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == f"/api/content/{PAGE_PATH}":
                if site.api_status != 200:
                    return self._send(site.api_status)
                body = json.dumps({"details": {"attachments": site.attachments(base)}}).encode()
                return self._send(200, body, "application/json")
            if self.path == f"/{PAGE_PATH}":
                links = "".join(f'<h3><a href="{a["url"]}">{a["title"]}</a></h3>' for a in site.attachments(base))
                return self._send(200, f"<html><body>{links}</body></html>".encode(), "text/html")
            if self.path.startswith("/media/"):
                name = self.path.rsplit("/", 1)[-1]
                if name in site.files and site.slow:
                    return self._trickle(site.files[name])
                if name in site.files:
                    return self._send(200, site.files[name])
            if self.path == "/flaky":
                if site.flaky_left:
                    site.flaky_left -= 1
                    return self._send(503)
                return self._send(200, b"ok")
            if self.path == "/away":
                return self._send(302, headers=[("Location", "https://example.com/file.xlsx")])
            return self._send(404)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the server's next poll: at the default half second, a test's teardown took as long
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{httpd.server_port}"
    yield site
    httpd.shutdown()
    httpd.server_close()


def test_fetch_downloads_the_newest_release_and_records_it(server, tmp_path):
    raw = tmp_path / "raw"
    entries = fetch(["2024/25"], raw, base_url=server.base, progress=False)
    assert sorted(e["filename"] for e in entries) == [OUTCOMES_2025, PFA]
    assert (raw / OUTCOMES_2025).read_bytes() == server.files[OUTCOMES_2025]
    assert not (raw / OUTCOMES_2025_OLD).exists()
    manifest = load_manifest(raw)
    entry = next(e for e in manifest["files"] if e["filename"] == OUTCOMES_2025)
    assert entry["sha256"] == file_sha256(raw / OUTCOMES_2025)
    assert entry["bytes"] == len(server.files[OUTCOMES_2025])
    assert entry["release"] == "230726" and entry["financial_year"] == "2024/25"
    assert entry["url"].endswith(OUTCOMES_2025) and entry["title"] and entry["retrieved_at"]
    superseded = [d for d in manifest["discovered"] if d["filename"] == OUTCOMES_2025_OLD]
    assert superseded and superseded[0]["newest"] is False
    # A second fetch finds identical copies and downloads nothing.
    before = sum(p.startswith("/media/") for p in server.requests)
    fetch(["2024/25"], raw, base_url=server.base, progress=False)
    assert sum(p.startswith("/media/") for p in server.requests) == before


def test_an_html_page_in_place_of_a_workbook_is_not_kept(server, tmp_path):
    raw = tmp_path / "raw"
    with pytest.raises(DownloadError, match="HTML page"):
        fetch(["2023/24"], raw, base_url=server.base, progress=False)
    assert not (raw / OUTCOMES_2024_BROKEN).exists()
    assert not list(raw.glob("*.part")) and not list(raw.glob(".*.part"))
    assert OUTCOMES_2024_BROKEN not in [e["filename"] for e in load_manifest(raw)["files"]]


def test_landing_page_is_the_fallback(server):
    server.api_status = 404
    found = discover(base_url=server.base)
    assert {s.filename for s in found} == set(server.files)


def test_year_not_published_is_a_clear_error(server, tmp_path):
    with pytest.raises(DownloadError, match="no outcomes file published for 2030/31"):
        fetch(["2030/31"], tmp_path, base_url=server.base, progress=False)


def test_size_ceiling(server, tmp_path):
    from crimeoutcomes.data.download import download_file
    from crimeoutcomes.data.govuk import classify

    source = classify("Outcomes open data, year ending March 2025", f"{server.base}/media/x/{OUTCOMES_2025}")
    policy = HttpPolicy.for_base_url(server.base, max_bytes=1000)
    with pytest.raises(DownloadError, match="ceiling"):
        download_file(source, tmp_path, policy=policy, progress=False)
    assert not any(tmp_path.iterdir())


def test_retries_with_back_off(server):
    waits = []
    response = get(
        f"{server.base}/flaky", HttpPolicy.for_base_url(server.base, backoff_seconds=0.5), sleep=waits.append
    )
    assert response.content == b"ok" and waits == [0.5, 1.0]


def test_redirect_to_another_host_is_refused(server):
    with pytest.raises(DownloadError, match="example.com"):
        get(f"{server.base}/away", HttpPolicy.for_base_url(server.base))


@pytest.mark.parametrize(
    "url",
    [
        "http://www.gov.uk/x.xlsx",
        "https://example.com/x.xlsx",
        "https://assets.publishing.service.gov.uk.evil.com/x.xlsx",
        "ftp://www.gov.uk/x",
    ],
)
def test_only_https_from_govuk_by_default(url):
    with pytest.raises(DownloadError, match="refusing"):
        check_url(url, HttpPolicy())


def test_govuk_urls_pass_by_default():
    # check_url returns None when the URL is allowed and raises otherwise.
    assert check_url("https://assets.publishing.service.gov.uk/media/abc/prc.xlsx", HttpPolicy()) is None
    assert check_url("https://www.gov.uk/api/content/x", HttpPolicy()) is None
    assert HttpPolicy().allowed_hosts == ("www.gov.uk", "assets.publishing.service.gov.uk")
    assert HttpPolicy().allowed_schemes == ("https",)
    # The same paths one step off: another scheme, a look-alike host, a sub-domain.
    for near_miss in (
        "http://assets.publishing.service.gov.uk/media/abc/prc.xlsx",
        "https://gov.uk/x",
        "https://www.gov.uk.example.org/x",
        "https://evil.www.gov.uk/x",
    ):
        with pytest.raises(DownloadError, match="refusing"):
            check_url(near_miss, HttpPolicy())


def test_a_base_url_allows_that_host_and_scheme_and_nothing_else():
    policy = HttpPolicy.for_base_url("http://127.0.0.1:8123")
    assert check_url("http://127.0.0.1:8123/media/x.xlsx", policy) is None
    for other in ("https://127.0.0.1:8123/x", "https://www.gov.uk/x", "http://localhost:8123/x"):
        with pytest.raises(DownloadError, match="refusing"):
            check_url(other, policy)


def test_fetch_command(server, tmp_path, capsys):
    assert (
        cli.main(["fetch", "--year", "2024/25", "--raw-dir", str(tmp_path), "--base-url", server.base, "--quiet"]) == 0
    )
    assert OUTCOMES_2025 in capsys.readouterr().out
    assert cli.main(["fetch", "--raw-dir", str(tmp_path / "latest"), "--base-url", server.base, "--quiet"]) == 0
    assert OUTCOMES_2025 in capsys.readouterr().out  # the latest year published
    assert cli.main(["fetch", "--all", "--raw-dir", str(tmp_path / "all"), "--base-url", server.base, "--quiet"]) == 2
    assert "HTML page" in capsys.readouterr().err


def test_a_host_that_does_not_resolve_fails_at_once_without_retries():
    waits = []
    with pytest.raises(DownloadError, match="does not resolve"):
        get(
            "https://no-such-host.invalid/x.xlsx",
            HttpPolicy.for_base_url("https://no-such-host.invalid"),
            sleep=waits.append,
        )
    assert waits == []


FETCH = """
import sys
from pathlib import Path
from crimeoutcomes.data.download import fetch
fetch(["2024/25"], Path(sys.argv[1]), base_url=sys.argv[2], progress=False)
"""


def test_killed_during_a_download_then_a_rerun_gets_the_same_file(server, tmp_path):
    raw = tmp_path / "raw"
    server.slow = True
    downloading = subprocess.Popen([sys.executable, "-c", FETCH, str(raw), server.base])
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 0 for p in raw.glob(".*.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    downloading.send_signal(signal.SIGKILL)
    assert downloading.wait() == -signal.SIGKILL
    assert list(raw.glob(".*.part")), "the download was not under way when it was killed"
    assert not [p for p in raw.iterdir() if not p.name.startswith(".")], "a partial download was kept"
    assert not (raw / "manifest.json").exists()

    server.slow = False
    fetch(["2024/25"], raw, base_url=server.base, progress=False)
    assert (raw / OUTCOMES_2025).read_bytes() == server.files[OUTCOMES_2025]
    assert (raw / PFA).read_bytes() == server.files[PFA]
    assert not list(raw.glob(".*.part")), "the killed download's partial file was left behind"
    entries = {e["filename"]: e["sha256"] for e in load_manifest(raw)["files"]}
    assert entries == {OUTCOMES_2025: file_sha256(raw / OUTCOMES_2025), PFA: file_sha256(raw / PFA)}
