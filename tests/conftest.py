import functools
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

#: Two workers on two cores, each running builds of two processes and their kernels: one thread
#: each for the numerical libraries (OpenBLAS, OpenMP, polars), whose idle threads otherwise spin on
#: cores the other processes need (the suite's CPU time fell from 520 s to 459 s). Set before numpy
#: or polars is imported here, and inherited by the workers and every process they start; a value
#: already set is kept.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ.setdefault(_threads, "1")
#: Bytecode written once, read by every process: where PYTHONDONTWRITEBYTECODE is set (as in this
#: project's containers) each of the 70-odd processes a run starts (builds, their kernels, command
#: lines) compiled the package's source again, 0.5-0.9 s each, which on a fresh clone (no
#: __pycache__ at all) was 20 s of the run. Set before the package is imported here, and inherited.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

import crimeoutcomes.build  # noqa: E402, F401  (first: it spares every worker jsonschema's grammars, see its __init__)
from crimeoutcomes.data.years import year_slug  # noqa: E402 (after the threads above)
from crimeoutcomes.synthetic import sample  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRIMEOUTCOMES_SHARED", PROJECT_ROOT.parent / "shared"))

#: One year of each data-sheet spelling: 2014-15, 2019_20, 'Outcomes open data 2021_22', 2022_23, 2024_25.
VINTAGES = ("2014/15", "2019/20", "2021/22", "2022/23", "2024/25")
#: The force pages of the session's build: the forces the caveats name (their pages must list them)
#: among others, one whose every 2024/25 quarter collapsed (Devon and Cornwall), the biggest, British
#: Transport Police, one whose name reads reversed ("London, City of") and Kent. All 44 are built
#: by the real-data build (test_realdata_reports).
SESSION_FORCES = (
    "Metropolitan Police",
    "British Transport Police",
    "Devon and Cornwall",
    "Greater Manchester",
    "London, City of",
    "Kent",
    "Cumbria",
)
NOTEBOOK_HTML = [
    "01-national-totals.html",
    "02-force-comparison.html",
    "03-child-victim-offences.html",
    "04-reconciliation.html",
]


@functools.cache
def sample_truth(financial_year: str, full_size: bool = False):
    """``sample.outcomes_truth``, computed once a process (half a second a year; polars frames are
    never changed in place, so every test may share one)."""
    return sample.outcomes_truth(financial_year, full_size)


def made_once(tmp_path_factory, worker_id: str, name: str, make: Callable[[Path], object]):
    """What ``make`` makes in a folder of its own, made once for the whole test run. Under
    pytest-xdist (``make test`` runs two workers) the first worker to ask makes it while the others
    wait, and every worker gets the same folder and the same value (kept beside it, pickled); a lone
    pytest makes it in its own temporary folder."""
    if worker_id == "master":
        return make(tmp_path_factory.mktemp(name))
    folder = tmp_path_factory.getbasetemp().parent / name  # the run's folder, shared by its workers
    made = folder.with_name(f"{name}.pickle")
    with FileLock(f"{folder}.lock"):
        if not made.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            made.write_bytes(pickle.dumps(make(folder)))
    return pickle.loads(made.read_bytes())


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory, worker_id):
    return made_once(tmp_path_factory, worker_id, "sample", lambda folder: sample.write_sample(folder, VINTAGES))


_SHARED: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory, worker_id) -> Path:
    """One cache of parsed workbooks (and analysis results) for every build the tests run, all
    workers' too: entries are keyed by the content they come from and written whole under a
    temporary name, so builds of the same sample in different folders share them. Tests of the cache
    itself use their own project folder's (``_isolated_project``)."""
    _SHARED["cache"] = made_once(tmp_path_factory, worker_id, "shared-cache", lambda folder: folder)
    return _SHARED["cache"]


@pytest.fixture
def use_shared_cache(monkeypatch, shared_cache):
    """For a test module that builds or loads the sample but does not test the cache itself
    (``pytestmark = pytest.mark.usefixtures("use_shared_cache")``): its runs read the parsed
    workbooks from the shared cache rather than parse them again in each test's project folder."""
    monkeypatch.setenv("CRIMEOUTCOMES_CACHE", str(shared_cache))


def run_all(*arguments, env_root):
    env = {**os.environ, "CRIMEOUTCOMES_ROOT": str(env_root), "CRIMEOUTCOMES_CACHE": str(_SHARED["cache"])}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "run_all.py"), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=900,
    )


#: The workers of the tests' big builds (the session's, the real data's, another question's): one.
#: ``make test`` runs two test workers on two cores, so a build's second worker and its kernels only
#: contend with the other test worker for them; with one, the suite's CPU time fell from 468-501 s
#: to 419 s. The changing build keeps two (``changing_build_as_built``): it is the test of a
#: build whose runs go side by side.
BUILD_JOBS = "1"


@pytest.fixture(scope="session")
def built(sample_files, tmp_path_factory, worker_id):
    """run_all.py on the sample, once for the run, with the pages of ``SESSION_FORCES``. Read-only:
    every test that reads reports reads this build; one that changes a build changes the changing
    build (``changing_build``). One kernel (``--jobs 1``, as ``BUILD_JOBS``)."""

    def build(folder: Path) -> dict:
        out, root = folder / "out", folder / "root"
        result = run_all(
            "--source", "local", "--raw-dir", str(sample_files.folder), "--out", str(out),
            "--forces", *SESSION_FORCES, "--jobs", BUILD_JOBS, env_root=root,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        slug = year_slug(VINTAGES[-1])
        return {
            "stderr": result.stderr,
            "reports": out / "reports" / "sample" / slug,
            "figures": out / "figures" / "sample" / slug,
            "out": out,
        }

    return made_once(tmp_path_factory, worker_id, "built", build)


@pytest.fixture(scope="session")
def site(built, tmp_path_factory, worker_id) -> Path:
    """``python -m crimeoutcomes site`` on the session's build, once for the run (the site is read-only too)."""
    from crimeoutcomes.build.site import build_site

    return made_once(tmp_path_factory, worker_id, "site", lambda folder: build_site(built["out"], folder / "site"))


#: The files whose tests change a build (re-run, kill, edit): they share one build of the sample
#: (``changing_build``), each file starting from it as it was built. ``make test`` gives the three
#: to one worker, in turn (``pytest_xdist_make_scheduler``), since they change the same folder.
CHANGING_BUILD_FILES = ("test_incremental.py", "test_interrupted_runs.py", "test_one_build.py")
#: The year of the changing build: Greater Manchester's outcomes collapse in Q2-Q4 of the sample's
#: 2019/20 (its page must show no count); one year before it stands for the trend window and one
#: force page for the 44 (they are run, staged and published as the reports are).
CHANGING_YEARS = ("2018/19", "2019/20")
CHANGING_FORCES = ("Greater Manchester",)


@pytest.fixture(scope="session")
def two_years(tmp_path_factory, worker_id):
    """The sample's workbooks of ``CHANGING_YEARS`` (and its recorded crime)."""
    write = lambda folder: sample.write_sample(folder, CHANGING_YEARS)  # noqa: E731
    return made_once(tmp_path_factory, worker_id, "sample-2y", write)


class ChangingBuild:
    """run_all.py's build of ``CHANGING_YEARS`` in one output folder, and a copy of it as built."""

    def __init__(self, raw: Path, base: Path):
        self.raw, self.out, self.root, self.kept = raw, base / "out", base / "root", base / "as-built"
        slug = year_slug(CHANGING_YEARS[-1])
        self.reports = self.out / "reports" / "sample" / slug
        self.figures = self.out / "figures" / "sample" / slug

    def arguments(self, out: Path | None = None) -> list[str]:
        """run_all.py's arguments for this build (into ``out``, default its own folder)."""
        return [
            "--source", "local", "--raw-dir", str(self.raw), "--out", str(out or self.out),
            "--year", CHANGING_YEARS[-1], "--first-year", CHANGING_YEARS[0], "--forces", *CHANGING_FORCES,
        ]  # fmt: skip

    def restore(self) -> None:
        """The output folder as it was built (same bytes and modification times, nothing else)."""
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.copytree(self.kept, self.out, symlinks=True)


@pytest.fixture(scope="session")
def changing_build_as_built(two_years, tmp_path_factory) -> ChangingBuild:
    build = ChangingBuild(two_years.folder, tmp_path_factory.mktemp("changing-build"))
    result = run_all(*build.arguments(), "--jobs", "2", env_root=build.root)
    assert result.returncode == 0, result.stderr
    shutil.copytree(build.out, build.kept, symlinks=True)
    return build


@pytest.fixture(scope="module")
def changing_build(changing_build_as_built) -> ChangingBuild:
    """The changing build, as it was built, for one test file to change (its tests in turn)."""
    changing_build_as_built.restore()
    return changing_build_as_built


@pytest.fixture(scope="session")
def shared_dir():
    if not (SHARED / "realdata").is_dir():
        pytest.skip(f"real data folder {SHARED / 'realdata'} is absent (it is only on the project's machines)")
    return SHARED


@pytest.fixture(scope="session")
def real_rows(shared_dir):
    from realdata_rebuild import real_outcome_rows

    return real_outcome_rows(shared_dir)


@pytest.fixture(scope="session")
def real_raw_folder(real_rows, shared_dir, tmp_path_factory, worker_id):
    """A folder like data/raw without a manifest: the real 2024/25 rows and the real recorded-crime
    table, each rebuilt in the published layout (once for the run)."""
    from realdata_rebuild import real_recorded_crime, write_outcomes_2024_25, write_recorded_crime

    def write(folder: Path) -> Path:
        write_outcomes_2024_25(real_rows, folder / "outcomes-2024-25.xlsx")
        write_recorded_crime(real_recorded_crime(shared_dir), folder / "pfa-recorded-crime.ods")
        return folder

    return made_once(tmp_path_factory, worker_id, "real", write)


@pytest.fixture(scope="session")
def real_outcomes_workbook(real_raw_folder):
    return real_raw_folder / "outcomes-2024-25.xlsx"


@pytest.fixture(autouse=True)
def _isolated_project(tmp_path, monkeypatch):
    """Each test has its own data/ folder, so caches and downloads never touch the checkout's."""
    monkeypatch.setenv("CRIMEOUTCOMES_ROOT", str(tmp_path / "project"))


#: The test files that take longest (``--durations`` of a whole run), longest first. ``make test``
#: runs two workers that take one file at a time in collection order (``--dist loadfile
#: --no-loadscope-reorder``): the long files go out first and the short ones fill in at the end,
#: so both workers finish together. The first two make the two biggest builds (the real data's and
#: the session's), one on each worker. A file not listed runs after these, in its usual order.
LONGEST_FIRST = (
    "test_realdata_reports.py",
    "test_force_names.py",
    "test_one_build.py",
    "test_incremental.py",
    "test_interrupted_runs.py",
    "test_stats_funnel_more.py",
    "test_browser.py",
    "test_stats_funnel.py",
    "test_read_outcomes.py",
    "test_question.py",
    "test_cli.py",
    "test_links.py",
    "test_tidy_files.py",
    "test_properties_funnel.py",
    "test_sample.py",
    "test_reconcile_figures.py",
    "test_notebook_conventions.py",
    "test_any_figure.py",
    "test_store.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's tests keep their order


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: none where it is not installed
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``--dist loadfile``, but the ``CHANGING_BUILD_FILES`` go to one worker as one
    unit: they change the same build in turn."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedBuildsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "changing build" if Path(file).name in CHANGING_BUILD_FILES else file

    return SharedBuildsTogether(config, log)
