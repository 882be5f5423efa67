"""The costly ``Analysis`` calls kept on disk, so that the 44 force pages of a build make each
all-force computation (the comparison, the totals by force, the gaps) once and read it after.

A result is keyed by the call (method and arguments), the year, basis and trend window, the
sha256 of every source file read and the package's own fingerprint: a changed file or a changed
line of code is another key, never a stale result. Written under a temporary name and renamed (two
pages may compute the same call side by side); a file that cannot be read is computed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from collections.abc import Sequence
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.data.digests import package_fingerprint, sha256_of

PACKAGE_DIR = Path(__file__).resolve().parents[1]
MEMO_FOLDER = "analysis"


@functools.cache
def _package() -> str:
    return package_fingerprint(PACKAGE_DIR)


def memo_key(window: Sequence[str], sources: Sequence[Path], name: str, args: tuple, kwargs: dict) -> str:
    """``window`` and ``sources`` are what the object's ``memo_inputs()`` gives (this module knows
    nothing of ``Analysis``, which imports it)."""
    digests = sha256_of(list(sources))  # one read of the digest memo for all the files, not one a file
    described = {
        "call": [name, repr(args), repr(sorted(kwargs.items()))],
        "window": list(window),
        "sources": [digests[p] for p in sources],
        "package": _package(),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def memoised(method):
    """Decorate a method whose result depends only on its arguments and what its object's
    ``memo_inputs()`` returns: (the year, basis and trend window; the source files read)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        window, sources = self.memo_inputs()
        path = (
            config.cache_dir()
            / MEMO_FOLDER
            / f"{method.__name__}-{memo_key(window, sources, method.__name__, args, kwargs)}.pickle"
        )
        if path.is_file():
            try:
                return pickle.loads(path.read_bytes())
            except Exception:
                path.unlink(missing_ok=True)  # damaged or from another version of a library: compute it again
        result = method(self, *args, **kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda tmp: Path(tmp).write_bytes(pickle.dumps(result)))
        return result

    return wrapper
