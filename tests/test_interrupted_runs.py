"""run_all.py killed part-way, run twice at once, on a read-only or full disk: the published
reports are never damaged, and a re-run builds, byte for byte, what an uninterrupted run builds.

One output folder, conftest's changing build, goes through every step in order."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import PROJECT_ROOT

from crimeoutcomes import locks
from crimeoutcomes.build import record as build_record


def _tree(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != locks.LOCK_NAME
    }


#: What the killed run and the re-run run: the child-victim report, the shortest (a png of its own
#: in the staging folder shows the run is part-way), and with it summary.json, the index, the data
#: package and build.json, which every run that re-runs a notebook writes again.
RERUN = ("--only", "03")


def _staging(out):
    return list((out / "reports").glob(".staging-*"))


class Runs:
    def __init__(self, build, cache):
        self.build, self.out, self.root, self.cache = build, build.out, build.root, cache

    def command(self, out=None, *extra):
        return [sys.executable, str(PROJECT_ROOT / "run_all.py"), *self.build.arguments(out), "--jobs", "2", *extra]

    @property
    def env(self):
        # the parsed workbooks come from the run's shared cache: what is killed here is a notebook
        # run, not the reader (test_faults kills that with a cache of its own)
        return {**os.environ, "CRIMEOUTCOMES_ROOT": str(self.root), "CRIMEOUTCOMES_CACHE": str(self.cache)}

    def start(self, log, *extra):
        return subprocess.Popen(
            self.command(None, *extra),
            stdout=subprocess.DEVNULL,
            stderr=open(log, "w"),
            env=self.env,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )

    def run(self, *command):
        return subprocess.run(
            list(command), capture_output=True, text=True, env=self.env, cwd=PROJECT_ROOT, timeout=900
        )


@pytest.fixture(scope="module")
def runs(changing_build, shared_cache):
    """The changing build of conftest (run_all.py's build of two years of the sample, with one
    force page standing for the 44: they are staged and published as the reports are), as built."""
    runs = Runs(changing_build, shared_cache)
    runs.first = _tree(runs.out)
    assert any(name.endswith(".ipynb") for name in runs.first) and any(name.endswith(".png") for name in runs.first)
    return runs


def _wait_for(condition, seconds=300):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_1_killed_during_a_notebook_leaves_the_published_reports_as_they_were(runs, tmp_path):
    # Nothing changed, so only --only (or --rebuild) runs a notebook: one notebook re-run stages and
    # publishes as a whole build does, in a fifth of the time.
    killed = runs.start(tmp_path / "killed.log", *RERUN)
    _wait_for(lambda: any(s.rglob("*.png") for s in _staging(runs.out)) or killed.poll() is not None)
    os.killpg(killed.pid, signal.SIGKILL)  # the whole job: run_all, its workers and their kernels
    killed.wait()
    assert killed.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
    assert _staging(runs.out), "the run was not killed part-way"
    published = {k: v for k, v in _tree(runs.out).items() if not k.startswith("reports/.staging-")}
    assert published == runs.first


def test_2_a_second_run_at_the_same_time_is_refused_and_the_rerun_builds_the_same_bytes(runs, tmp_path):
    """The re-run of one notebook (--only 03) after the killed one: the build is the same bytes as
    before, so whole."""
    left_by_killed_run = set(_staging(runs.out))
    rerun = runs.start(tmp_path / "rerun.log", *RERUN)
    # Once the re-run holds the folder (a staging folder of its own is there) ...
    _wait_for(
        lambda: (
            any(s.rglob("*.ipynb") for s in set(_staging(runs.out)) - left_by_killed_run) or rerun.poll() is not None
        )
    )
    second = runs.run(*runs.command())
    assert second.returncode == 2
    assert "is in use by another run" in second.stderr and f"process {rerun.pid}" in second.stderr
    assert rerun.wait(timeout=900) == 0, (tmp_path / "rerun.log").read_text()
    assert not _staging(runs.out)
    after = _tree(runs.out)
    changed = sorted(name for name in after.keys() | runs.first.keys() if after.get(name) != runs.first.get(name))
    assert not changed, f"a re-run changed {changed[:5]}"
    # so the build around the notebook re-run is whole: every output as its record says, each made
    # by the notebook that made it in the full build
    record = build_record.read_record(runs.build.reports)
    assert build_record.check_files(runs.build.reports, runs.build.figures, record) == []
    assert record["outputs"]["figures/child_cr_by_force.png"]["built_by"] == "03_child_victim_offences.ipynb"
    assert record["outputs"]["01-national-totals.html"]["built_by"] == "01_national_totals.ipynb"


def _mount_namespace_or_skip():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a real read-only or full file system needs root and mount namespaces (unshare -m)")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"mount namespaces are not available here: {probe.stderr.decode().strip()}")


def test_3_a_read_only_output_folder_is_named_and_left_alone(runs):
    _mount_namespace_or_skip()
    out = str(runs.out)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    result = runs.run("unshare", "-m", "sh", "-c", script, "sh", out, *runs.command(None, "--rebuild"))
    assert result.returncode == 2, result.stderr
    assert f"cannot write the output folder {out}" in result.stderr and "read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(runs.out) == runs.first


def test_4_a_full_disk_is_named_and_the_reports_on_it_are_left_alone(runs, tmp_path):
    _mount_namespace_or_skip()
    full = tmp_path / "full"
    full.mkdir()
    # A disk with room for the reports already built and a little more, not for a second copy of them.
    script = (
        'full="$1"; saved="$2"; listing="$3"; shift 3; '
        'mount -t tmpfs -o size=$(( $(du -sk "$saved" | cut -f1) + 512 ))k tmpfs "$full" '
        '&& cp -a "$saved"/. "$full"/ || exit 99; "$@"; code=$?; ls -A "$full/reports" > "$listing"; '
        'diff -r -x .lock "$saved" "$full" > /dev/null && echo UNCHANGED; exit $code'
    )
    result = runs.run(
        "unshare",
        "-m",
        "sh",
        "-c",
        script,
        "sh",
        str(full),
        str(runs.out),
        str(tmp_path / "listing"),
        *runs.command(full, "--only", "01"),
    )
    assert result.returncode == 2, result.stderr
    assert "the disk is full" in result.stderr and "Traceback" not in result.stderr
    assert "UNCHANGED" in result.stdout, "the reports on the full disk were changed"
    assert not [n for n in (tmp_path / "listing").read_text().split() if n.startswith(".staging")]
