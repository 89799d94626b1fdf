import os
import pathlib
import sys

import pytest

# The suite must test the installed package, never the uncompiled source tree.
# ``python -m pytest`` (the README's command) puts the current directory, the
# repository root, first on sys.path; drop it so that ``import cyconv`` finds
# the installed package instead of the source tree next to it.
_root = pathlib.Path(__file__).resolve().parent.parent
_src = _root / "cyconv"
if not os.environ.get("CYCONV_ALLOW_INPLACE"):
    sys.path[:] = [p for p in sys.path if pathlib.Path(p or os.curdir).resolve() != _root]

import cyconv  # noqa: E402
from cyconv import _threads  # noqa: E402

if pathlib.Path(cyconv.__file__).resolve().parent == _src and not os.environ.get("CYCONV_ALLOW_INPLACE"):
    raise RuntimeError(
        "tests imported cyconv from the source tree; install it (pip install .) and run "
        "pytest from the repository root, or set CYCONV_ALLOW_INPLACE=1 for an in-place build"
    )


@pytest.fixture
def recorded_threads(monkeypatch):
    """Record the thread count every kernel call was given (wraps _threads.acquire)."""
    counts = []
    real = _threads.acquire

    def acquire(workers, work, max_parallel):
        n = real(workers, work, max_parallel)
        counts.append(n)
        return n

    monkeypatch.setattr(_threads, "acquire", acquire)
    return counts
