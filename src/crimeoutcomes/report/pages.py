"""HTML pages and blocks from the Jinja templates in templates/pages/: the year's index, the site's
index and figures pages, and the blocks every report opens with (SYNTHETIC banner, sources and
basis, the scratch notice). Autoescaped: text from the data never becomes markup."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "templates" / "pages"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(PAGES_DIR), autoescape=True, undefined=StrictUndefined,
                       keep_trailing_newline=False, trim_blocks=False)


def render(template: str, **context) -> str:
    """``template`` (a file in templates/pages/) filled with ``context``."""
    return _environment().get_template(template).render(**context)
