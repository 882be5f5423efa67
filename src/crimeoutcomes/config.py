"""Paths and constants, once: where things live, and the thresholds that decide what readers see.

The thresholds are read from ``reference/assumptions.csv`` (the assumptions log: each value with
why it is what it is and what changes if it moves), so the log and the code cannot disagree.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = _PACKAGE_DIR / "reference"


def checkout_dir() -> Path | None:
    """The source checkout this package is installed from (editable install), if it is."""
    checkout = _PACKAGE_DIR.parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src").is_dir():
        return checkout
    return None


def project_root() -> Path:
    """The project folder: $CRIMEOUTCOMES_ROOT, else the checkout this package sits in, else cwd."""
    override = os.environ.get("CRIMEOUTCOMES_ROOT")
    if override:
        return Path(override).resolve()
    return checkout_dir() or Path.cwd()


def data_dir() -> Path:
    return project_root() / "data"


def raw_dir() -> Path:
    """Downloaded source files, never edited, with manifest.json."""
    return data_dir() / "raw"


def cache_dir() -> Path:
    """Parquet copies of parsed source files, keyed by the source's sha256 (and the analysis memo):
    $CRIMEOUTCOMES_CACHE, else data/cache. Every entry is keyed by the content it was made from, so
    one cache may serve several project folders (the test suite's builds share one)."""
    override = os.environ.get("CRIMEOUTCOMES_CACHE")
    return Path(override).resolve() if override else data_dir() / "cache"


def sample_dir() -> Path:
    """The generated synthetic sample."""
    return data_dir() / "sample"


def manifest_path(raw: Path | None = None) -> Path:
    return (raw or raw_dir()) / "manifest.json"


def output_subdir(synthetic: bool, slug: str) -> Path:
    """Where one run's reports and figures go under reports/ and figures/: synthetic runs apart."""
    return Path("sample", slug) if synthetic else Path(slug)


#: Where a notebook run outside run_all.py, and a reviewer's contact sheet, write: never published.
SCRATCH = "scratch"


def reports_dir(synthetic: bool, slug: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "reports" / output_subdir(synthetic, slug)


def figures_dir(synthetic: bool, slug: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "figures" / output_subdir(synthetic, slug)


def notebooks_dir() -> Path:
    """The notebooks are code, so they live in the checkout even when the data folder is elsewhere."""
    return (checkout_dir() or Path.cwd()) / "notebooks"


#: The mark on every page, figure and file built from the synthetic sample.
SYNTHETIC_MARK = "SYNTHETIC DATA"
#: The first column of every table file (figure and table CSVs, the tidy table, the data package)
#: built from the synthetic sample: SYNTHETIC_MARK on every row, so a number copied out carries it.
SYNTHETIC_COLUMN = "data"


def _assumptions() -> dict[str, str]:
    with open(REFERENCE_DIR / "assumptions.csv", newline="", encoding="utf-8") as handle:
        return {row["name"]: row["value"] for row in csv.DictReader(handle)}


ASSUMPTIONS = _assumptions()
#: Below this share of the national outcomes per recorded crime, a force-quarter has collapsed.
COLLAPSE_THRESHOLD = float(ASSUMPTIONS["collapse_threshold"])
#: A force with fewer assigned outcomes is listed but neither ranked nor put on a funnel.
MIN_OUTCOMES_TO_RANK = int(ASSUMPTIONS["min_outcomes_to_rank"])
#: A difference within this share of a published figure is the size of revisions between releases.
REVISION_TOLERANCE = float(ASSUMPTIONS["revision_tolerance"])
#: How close an 'about' figure must be.
APPROXIMATE_TOLERANCE = float(ASSUMPTIONS["approximate_tolerance"])
#: Replicates of the over-dispersion test's parametric bootstrap, and its size.
BOOTSTRAP_REPLICATES = int(ASSUMPTIONS["bootstrap_replicates"])
OVERDISPERSION_TEST_SIZE = float(ASSUMPTIONS["overdispersion_test_size"])
#: Joint posterior draws behind each rank interval.
RANK_DRAWS = int(ASSUMPTIONS["rank_draws"])
#: Rates per this many recorded sexual offences.
RATE_PER = int(ASSUMPTIONS["rate_per"])
#: The integration grid of the funnel's random-effects models (``funnels.random_effects``): at least
#: this many points over u in [-8, 8], more where a unit's likelihood is narrow, at most the second.
RANDOM_EFFECT_NODES_MIN = 401
RANDOM_EFFECT_NODES_MAX = 4001
#: Counts up to 2^53 are held exactly by a float (and by the binomial and Poisson arithmetic);
#: the funnel refuses larger ones rather than give a wrong limit.
MAX_EXACT_COUNT = 2**53
#: A funnel compares at least this many units (with fewer, a unit is most of its own benchmark).
MIN_FUNNEL_UNITS = 3
