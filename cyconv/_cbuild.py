"""Compile a small Cython module against the installed cyconv, at run time.

Internal helper for ``tests/test_capi.py`` and ``benchmarks/bench_capi.py``:
it builds an extension that ``cimport``\\ s :mod:`cyconv.capi` exactly as a
downstream project would (``include_path=[cyconv.get_include()]``), in a
separate process and a scratch directory, so nothing in the source tree is
picked up.  Needs Cython, setuptools and a C compiler; none of them is needed
to *use* cyconv.
"""

import glob
import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import textwrap

_SETUP = textwrap.dedent(
    """
    import sys

    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension, setup

    import cyconv

    name, pyx = sys.argv[1], sys.argv[2]
    ext = Extension(name, [pyx], include_dirs=[numpy.get_include()])
    setup(
        name=name,
        ext_modules=cythonize(
            [ext],
            include_path=[cyconv.get_include()],
            compiler_directives={"language_level": 3, "boundscheck": False,
                                 "wraparound": False, "freethreading_compatible": True},
            quiet=True,
        ),
        script_args=["build_ext", "--inplace"],
    )
    """
)

_PROBE = textwrap.dedent(
    """
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    with open("cyconv_cc_probe.c", "w") as f:
        f.write("int cyconv_cc_probe(void) { return 0; }\\n")
    cc = new_compiler()
    customize_compiler(cc)
    cc.compile(["cyconv_cc_probe.c"], output_dir=".")
    """
)


_OPENMP_FLAGS = {"-fopenmp", "-lomp", "-lgomp", "-liomp5", "/openmp"}


def _env_without_openmp():
    """os.environ minus OpenMP flags in CFLAGS/CPPFLAGS/LDFLAGS.

    A wheel build exports them (on macOS: -Xpreprocessor -fopenmp ... -lomp
    against the build machine's libomp); a module compiled with them would
    load a second OpenMP runtime next to the one the wheel vendors.  The
    modules built here call cyconv's kernels and need no OpenMP themselves.
    """
    env = dict(os.environ)
    for var in ("CFLAGS", "CPPFLAGS", "LDFLAGS"):
        if var not in env:
            continue
        toks, kept, i = shlex.split(env[var]), [], 0
        while i < len(toks):
            if toks[i] == "-Xpreprocessor" and i + 1 < len(toks) and toks[i + 1] in _OPENMP_FLAGS:
                i += 2
                continue
            if toks[i] not in _OPENMP_FLAGS:
                kept.append(toks[i])
            i += 1
        env[var] = shlex.join(kept)
    return env


def have_c_compiler(workdir):
    """``(True, "")`` when a trivial C file compiles here, else ``(False, why)``."""
    os.makedirs(workdir, exist_ok=True)
    try:
        run = subprocess.run([sys.executable, "-c", _PROBE], cwd=workdir, capture_output=True,
                             text=True, timeout=300, env=_env_without_openmp())
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    return run.returncode == 0, (run.stdout + run.stderr)[-2000:]


def build(pyx_path, workdir, name=None):
    """Compile ``pyx_path`` in ``workdir`` and import it; returns the module.

    Raises ``RuntimeError`` with the compiler output if the build fails.
    """
    name = name or os.path.splitext(os.path.basename(pyx_path))[0]
    os.makedirs(workdir, exist_ok=True)
    shutil.copy(pyx_path, os.path.join(workdir, name + ".pyx"))
    with open(os.path.join(workdir, "_cyconv_build.py"), "w") as f:
        f.write(_SETUP)
    run = subprocess.run([sys.executable, "_cyconv_build.py", name, name + ".pyx"], cwd=workdir,
                         capture_output=True, text=True, timeout=900, env=_env_without_openmp())
    if run.returncode != 0:
        raise RuntimeError(f"building {pyx_path} against cyconv failed:\n"
                           f"{(run.stdout + run.stderr)[-6000:]}")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        found = glob.glob(os.path.join(workdir, name + suffix))
        if found:
            spec = importlib.util.spec_from_file_location(name, found[0])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise RuntimeError(f"built {name} but found no extension module in {workdir}")
