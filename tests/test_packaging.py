"""What the installed package ships besides code: stubs, py.typed, version, licences."""

import importlib.metadata
import os
import pathlib
import subprocess
import sys

import pytest

import cyconv

PKG = pathlib.Path(cyconv.__file__).resolve().parent
COMPILED = ("_kernels", "_threads", "capi", "_conv_layer")  # _avx2/_avx512.kernels: x86-64 only


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
    # A SIMD variant whose instructions this CPU lacks refuses to import (its
    # package raises ImportError): its stubs can only be checked elsewhere.
    from cyconv import _kernels
    skip = [name for name, ok in (("_avx2", _kernels.cpu_has_avx2_fma()),
                                  ("_avx512", _kernels.cpu_has_avx512())) if not ok]
    allow = tmp_path / "allowlist.txt"
    allow.write_text("".join(f"cyconv.{name}\ncyconv.{name}.kernels\n" for name in skip))
    run = subprocess.run([sys.executable, "-m", "mypy.stubtest", "cyconv", "--allowlist", str(allow)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
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


def _unbuilt_source_copy(tmp_path):
    """A folder laid out like the repository root: ./cyconv with the package's
    Python files but no compiled modules (a fresh clone after pip install .)."""
    import shutil

    installed = os.path.dirname(cyconv.__file__)
    src = tmp_path / "cyconv"
    shutil.copytree(installed, src, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    return tmp_path


def test_main_command_works_from_the_source_folder(tmp_path):
    """README: 'python -m pip install . && python -m cyconv demo', run at the
    repository root, where ./cyconv (unbuilt) comes first on sys.path."""
    root = _unbuilt_source_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-m", "cyconv", "demo"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "all examples match" in run.stdout
    where = subprocess.run([sys.executable, "-c", "import cyconv; print(cyconv.__file__)"],
                           cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip() == cyconv.__file__


def test_unbuilt_source_without_an_installed_copy_says_what_to_do(tmp_path):
    root = _unbuilt_source_copy(tmp_path)
    # -S: no site-packages, so the only cyconv is the unbuilt copy (numpy is not
    # needed: the check runs before anything imports it)
    run = subprocess.run([sys.executable, "-S", "-c", "import cyconv"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "no compiled modules" in run.stderr and "pip install" in run.stderr
