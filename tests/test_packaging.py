"""What the installed package ships besides code: stubs, py.typed, version, licences."""

import importlib.metadata
import os
import pathlib
import subprocess
import sys

import pytest

import cyconv

PKG = pathlib.Path(cyconv.__file__).resolve().parent
COMPILED = ("_kernels", "_threads", "capi", "_conv_layer")  # _kernels_avx2 only on x86-64


def test_compiled_modules_have_stubs_and_package_is_typed():
    assert (PKG / "py.typed").is_file()
    for name in COMPILED:
        assert (PKG / f"{name}.pyi").is_file(), name
        assert any(PKG.glob(f"{name}.*.so")) or any(PKG.glob(f"{name}.*.pyd")) \
            or any(PKG.glob(f"{name}.so")), f"{name} is not compiled"


def test_stubs_match_the_compiled_modules(tmp_path):
    """mypy.stubtest: every stub name and signature against the runtime objects."""
    pytest.importorskip("mypy.stubtest", reason="mypy is in the 'test' extra")
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / ".mypy_cache"))
    run = subprocess.run([sys.executable, "-m", "mypy.stubtest", "cyconv"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr


def test_version_is_defined_once():
    from cyconv import _version

    assert cyconv.__version__ == _version.__version__
    assert importlib.metadata.version("cyconv") == cyconv.__version__


def test_licences_ship_in_the_distribution():
    """The project licence and the licences of runtimes a repaired wheel may vendor."""
    dist = importlib.metadata.distribution("cyconv")
    names = {pathlib.PurePosixPath(str(f)).name for f in dist.files or ()}
    for name in ("LICENSE", "LICENSE-libgomp.txt", "LICENSE-libomp.txt", "LICENSE-vcomp.txt"):
        assert name in names, f"{name} missing from {sorted(names)}"
