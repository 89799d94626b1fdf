"""The build: OpenMP must not be lost silently; show_config tells the truth."""

import importlib
import importlib.metadata
import os
import subprocess
import sys

import numpy as np
import pytest

import cyconv
from cyconv import _kernels, _threads


def _build_info():
    try:
        return importlib.import_module("cyconv._build_info")
    except ImportError:
        pytest.fail("cyconv._build_info is missing: the package was not built by its setup.py, "
                    "so nothing says whether OpenMP was meant to be there")


def test_openmp_not_silently_lost():
    """Fails when a build meant to be parallel (the default) came out serial."""
    info = _build_info()
    assert info.openmp_requested in (None, True, False)
    if info.openmp_requested is False:          # CYCONV_OPENMP=0: serial on purpose
        assert info.openmp is False
        assert not _threads.openmp_enabled()
        assert not _kernels.openmp_enabled()
        assert _threads.team_size(2) == 1
        assert _threads.max_threads() == 1
        return
    assert info.openmp is True, "setup.py found no working OpenMP and built serial kernels"
    assert _threads.openmp_enabled(), "cyconv._threads was compiled without OpenMP"
    assert _kernels.openmp_enabled(), "cyconv._kernels was compiled without OpenMP"
    assert _threads.openmp_version() >= 200805     # OpenMP 3.0 or newer
    assert _threads.team_size(2) == 2, "a parallel region of 2 threads ran on one"


def test_build_info_is_consistent():
    info = _build_info()
    assert info.openmp == _threads.openmp_enabled() == _kernels.openmp_enabled()
    flags = " ".join(info.extra_compile_args)
    if info.compiler != "msvc":
        assert ("openmp" in flags) == info.openmp
    assert info.numpy_build_version
    assert isinstance(info.cython_debug, bool)


def test_serial_build_still_works():
    """Whatever the build, workers > 1 gives the right answer (a serial build runs 1 thread)."""
    rng = np.random.default_rng(0)
    a, k = rng.standard_normal((300, 200)), rng.standard_normal((5, 5))
    ref = cyconv.correlate(a, k, method="direct", workers=1)
    for workers in (2, -1, None):
        assert cyconv.correlate(a, k, method="direct", workers=workers).tobytes() == ref.tobytes()
    exact = np.array([[np.sum(a[i:i + 5, j:j + 5] * k) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(cyconv.correlate(a, k, "valid", workers=2)[:3, :3], exact,
                               rtol=1e-12, atol=1e-12)
    if not _threads.openmp_enabled():
        assert _threads.team_size(2) == 1
        assert _threads.max_threads() == 1


def test_show_config(capsys):
    cyconv.show_config()
    out = capsys.readouterr().out
    info = _build_info()
    assert out.startswith(f"cyconv {cyconv.__version__}\n")
    lines = dict(line.split(":", 1) for line in out.splitlines()[1:])
    lines = {k.strip(): v.strip() for k, v in lines.items()}
    assert lines["openmp"] == str(_threads.openmp_enabled() and _kernels.openmp_enabled())
    assert lines["threads_default"] == str(_threads.max_threads())
    assert lines["cpu_count"] == str(_threads.cpu_count())
    assert lines["numpy"] == np.__version__
    assert lines["extra_compile_args"] == " ".join(info.extra_compile_args)
    assert lines["extra_link_args"] == " ".join(info.extra_link_args)
    assert lines["openmp_requested"] == str(info.openmp_requested)


def test_version_matches_metadata():
    assert cyconv.__version__ == importlib.metadata.version("cyconv")


def test_info_and_demo_commands():
    env = dict(os.environ)
    cwd = os.path.abspath(os.sep)     # outside the repository: the installed package
    res = subprocess.run([sys.executable, "-m", "cyconv", "info"], capture_output=True,
                         text=True, timeout=120, cwd=cwd, env=env)
    assert res.returncode == 0, res.stderr
    assert f"cyconv {cyconv.__version__}" in res.stdout
    assert f"openmp              : {_threads.openmp_enabled()}" in res.stdout
    res = subprocess.run([sys.executable, "-m", "cyconv", "demo"], capture_output=True,
                         text=True, timeout=120, cwd=cwd, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "all examples match" in res.stdout and "MISMATCH" not in res.stdout
