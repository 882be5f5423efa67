"""Where things live. The one place that knows the project's folder layout."""

from __future__ import annotations

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
    """Parquet copies of parsed source files, keyed by the source's sha256."""
    return data_dir() / "cache"


def sample_dir() -> Path:
    """The generated synthetic sample."""
    return data_dir() / "sample"


def manifest_path(raw: Path | None = None) -> Path:
    return (raw or raw_dir()) / "manifest.json"


def output_subdir(synthetic: bool, slug: str) -> Path:
    """Where one run's reports and figures go under reports/ and figures/: synthetic runs apart."""
    return Path("sample", slug) if synthetic else Path(slug)


def reports_dir(synthetic: bool, slug: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "reports" / output_subdir(synthetic, slug)


def figures_dir(synthetic: bool, slug: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "figures" / output_subdir(synthetic, slug)


def notebooks_dir() -> Path:
    """The notebooks are code, so they live in the checkout even when the data folder is elsewhere."""
    return (checkout_dir() or Path.cwd()) / "notebooks"
