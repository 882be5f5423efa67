"""The Jinja templates and ``render``: pages/ holds the year's index, the site's index and figures
pages and the blocks every report opens with (SYNTHETIC banner, sources and basis, the scratch
notice); report/ is the nbconvert template of the reports. Autoescaped: text from the data never
becomes markup. A foundation module (imports only ``config``): the notebook API and the pages both
render with it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from crimeoutcomes.config import SYNTHETIC_MARK

PAGES_DIR = Path(__file__).resolve().parent / "pages"
SYNTHETIC_NOTICE = (
    f"{SYNTHETIC_MARK}: every number on this page is invented by the project's generator "
    "to test the code. These are not official statistics and must not be quoted."
)
#: What the SYNTHETIC banner says, for every template that shows it.
BANNER = {"mark": SYNTHETIC_MARK, "notice": SYNTHETIC_NOTICE.split(": ", 1)[1]}


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(PAGES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )


def render(template: str, **context) -> str:
    """``template`` (a file in templates/pages/) filled with ``context``."""
    return _environment().get_template(template).render(**context)


def synthetic_banner() -> str:
    """The SYNTHETIC DATA warning of every page built from the sample (styled inline: it must show
    wherever the HTML is pasted)."""
    return render("synthetic_banner.html.j2", **BANNER)
