"""No leaks: resident memory stays flat over thousands of mixed calls.

Runs tools/leak_check.py (mixed sizes, dtypes, modes, methods, 2-D
boundaries, strided/byte-swapped/broadcast inputs and calls that raise) in a
fresh interpreter, so nothing else in the test session moves its RSS.  The
documented long run is ``python tools/leak_check.py`` (100,000 calls).
"""

import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "tools" / "leak_check.py"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.skipif(not SCRIPT.exists(), reason="tools/ not shipped with this copy of the tests")
def test_rss_flat_over_mixed_calls(tmp_path):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # 24,000 calls take ~4 s; a clean build grows 108 KiB after warm-up
    # (interpreter caches), the same every run.  Leaking one small tuple per
    # direct call grows ~600 KiB, one output array per call tens of MiB.
    res = subprocess.run([sys.executable, str(SCRIPT), "--calls", "24000", "--limit-kib", "320"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    print(res.stdout)
    assert res.returncode == 0, f"RSS grew: {res.stdout} {res.stderr[-2000:]}"
