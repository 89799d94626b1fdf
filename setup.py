"""Build the Cython extensions, with OpenMP when the compiler has it.

All metadata lives in pyproject.toml; this file only declares the extensions
and a ``build_ext`` that finds the compiler's OpenMP flags by compiling,
linking and *running* a tiny OpenMP program.

Environment switches
--------------------
CYCONV_OPENMP=0   build serial kernels (no OpenMP at all)
CYCONV_OPENMP=1   a missing OpenMP is an error instead of a warning
CYCONV_NATIVE=1   add -march=native (benchmarks only; wheels must not)
CYCONV_DEBUG=1    Cython bounds checking on, -O0 -g (for sanitizer/debug runs)
CYCONV_SANITIZE=address  compile and link with -fsanitize=address
"""

import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# "capi" is the public C-level API (capi.pxd); it cimports _kernels.
MODULES = ["_threads", "_kernels", "capi", "_conv_layer"]
# Pure-Python modules also compiled by Cython: the per-call validation of the
# public API runs on every call, and compiled it costs half as much (W10).
# The .py stays the source of truth and works uncompiled.
COMPILED_PY = ["_signal"]
# Extra builds of the kernels for newer instruction sets, picked at import
# time by the CPU's features: (module, gcc/clang flags, msvc flags).  Each
# lives in a package of its own whose __init__ checks the CPU, because the
# module's init code is compiled for the instruction set too.
# GCC's code for the float64 two-row kernel is sensitive to flags: with
# CPython's default -fwrapv and generic tuning, W5 (1024^2 by 15^2) ran up to
# ~18 % slower than a -march=native build on the development machine (Zen 4;
# 18.4 vs 15.2 ms, interleaved runs of both modules in one process).
# -fno-wrapv (the kernels never rely on signed overflow wrapping) plus
# -mtune=haswell (the first AVX2+FMA CPU) matched native there; either flag
# alone did not (-fno-wrapv alone made W4 15 % slower).
# The AVX-512 build holds each accumulator in a 64-byte register: twice the
# multiply-adds per instruction on CPUs with two 512-bit FMA units (Intel
# Xeon since Skylake-SP, AMD Zen 4/5).  F+CD+BW+DQ+VL is the x86-64-v4 set,
# spelt out because older compilers (manylinux2014's GCC 10) lack that name.
SIMD_VARIANTS = [("_avx2.kernels", ["-mavx2", "-mfma", "-mtune=haswell", "-fno-wrapv"],
                  ["/arch:AVX2"]),
                 ("_avx512.kernels", ["-mavx512f", "-mavx512cd", "-mavx512bw", "-mavx512dq",
                                      "-mavx512vl", "-mavx2", "-mfma", "-mbmi", "-mbmi2",
                                      "-mlzcnt", "-mtune=skylake-avx512", "-fno-wrapv"],
                  ["/arch:AVX512"])]
SIMD_FLAGS = {}  # extension name -> {"unix": [...], "msvc": [...]}, filled by extensions()

# C headers an extension includes (rebuilt when they change; shipped in the sdist).
DEPENDS = {"_conv_layer": ["cyconv/_conv_layer_simd.h", "cyconv/_conv_layer_micro.h"],
           "_kernels": ["cyconv/_simd.h", "cyconv/_correlate.pxi", "cyconv/_winograd.pxi",
                        "cyconv/_winograd.h"],
           "_avx2.kernels": ["cyconv/_simd.h", "cyconv/_variant.pxi", "cyconv/_correlate.pxi",
                             "cyconv/_winograd.pxi", "cyconv/_winograd.h"],
           "_avx512.kernels": ["cyconv/_simd.h", "cyconv/_variant.pxi", "cyconv/_correlate.pxi",
                               "cyconv/_winograd.pxi", "cyconv/_winograd.h"]}

OPENMP_PROBE = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel num_threads(2) reduction(+:n)
        n += 1;
        printf("%d\\n", n);
        return n == 2 ? 0 : 1;
    }
    """
)

# Candidate (compile, link) flags, tried in order for the compiler in use.
OPENMP_CANDIDATES = {
    "msvc": [(["/openmp"], [])],
    "unix": [
        (["-fopenmp"], ["-fopenmp"]),
        (["-Xpreprocessor", "-fopenmp"], ["-lomp"]),  # Apple clang + libomp
    ],
}


def _env_flag(name):
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() not in ("0", "false", "no", "off")


def find_openmp_flags(compiler):
    """Return (compile_args, link_args) that build and run an OpenMP program, or None."""
    kind = compiler.compiler_type
    # distutils links executables without $LDFLAGS (only shared objects get
    # them), but that is where a macOS build says where libomp lives
    # (-L<prefix>/lib -Wl,-rpath,<prefix>/lib): pass it to the probe too, so
    # the probe tests exactly what the extensions will link against.
    env_ldflags = [] if kind == "msvc" else shlex.split(os.environ.get("LDFLAGS", ""))
    tmp = tempfile.mkdtemp(prefix="cyconv-omp-")
    try:
        src = os.path.join(tmp, "omp_probe.c")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        for cflags, lflags in OPENMP_CANDIDATES.get(kind, OPENMP_CANDIDATES["unix"]):
            try:
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                exe = os.path.join(tmp, "omp_probe" + (".exe" if kind == "msvc" else ""))
                compiler.link_executable(objs, "omp_probe", output_dir=tmp,
                                         extra_postargs=lflags + env_ldflags)
                out = subprocess.run([exe], capture_output=True, text=True, timeout=60)
                if out.returncode == 0 and out.stdout.strip() == "2":
                    return cflags, lflags
            except Exception:  # any failure means "this candidate does not work"
                continue
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class OpenMPBuildExt(build_ext):
    def build_extensions(self):
        kind = self.compiler.compiler_type
        want = _env_flag("CYCONV_OPENMP")
        debug = bool(_env_flag("CYCONV_DEBUG"))
        sanitize = os.environ.get("CYCONV_SANITIZE", "")

        flags = None if want is False else find_openmp_flags(self.compiler)
        if flags is None and want is True:
            sys.exit("error: CYCONV_OPENMP=1 but the compiler cannot build and run an OpenMP program")
        if flags is None and want is None:
            bar = "!" * 72
            print(f"\n{bar}\nWARNING: no working OpenMP found: cyconv is built SERIAL "
                  f"(one thread per call).\n{bar}\n", file=sys.stderr)
        omp_c, omp_l = flags or ([], [])

        if kind == "msvc":
            opt = ["/O2"]
        elif debug:
            opt = ["-O0", "-g"]
        else:
            # -O3: vectorise the inner loops (with run-time alias checks).
            # No -ffast-math: it would change results and NaN handling.
            opt = ["-O3", "-fno-math-errno", "-g0"]  # -g0: no debug info in wheels (3x smaller)
            if _env_flag("CYCONV_NATIVE"):
                opt.append("-march=native")
        link = list(omp_l)
        if sanitize and kind != "msvc":
            opt += [f"-fsanitize={sanitize}", "-fno-omit-frame-pointer"]
            link += [f"-fsanitize={sanitize}"]

        for ext in self.extensions:
            simd = SIMD_FLAGS.get(ext.name, {}).get("msvc" if kind == "msvc" else "unix", [])
            ext.extra_compile_args = opt + omp_c + simd
            ext.extra_link_args = link
        self._write_build_info(openmp=flags is not None, cflags=opt + omp_c, lflags=link, debug=debug)
        # pip reuses build/ between installs: rebuild everything when the
        # flags changed (e.g. CYCONV_OPENMP=0 then 1), or stale objects of
        # the other configuration would be linked in.
        stamp = os.path.join(self.build_temp, "cyconv-build-flags.txt")
        config = repr((opt, omp_c, link, debug, sorted(SIMD_FLAGS.items())))
        try:
            with open(stamp) as f:
                if f.read() != config:
                    self.force = True
        except OSError:
            self.force = True
        super().build_extensions()
        os.makedirs(self.build_temp, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(config)

    def _write_build_info(self, openmp, cflags, lflags, debug):
        text = (
            '"""Written by setup.py at build time; do not edit."""\n'
            f"openmp = {openmp!r}\n"
            f"openmp_requested = {_env_flag('CYCONV_OPENMP')!r}\n"
            f"compiler = {self.compiler.compiler_type!r}\n"
            f"compiler_command = {' '.join(getattr(self.compiler, 'compiler_so', []) or [])[:200]!r}\n"
            f"extra_compile_args: list[str] = {cflags!r}\n"
            f"extra_link_args: list[str] = {lflags!r}\n"
            f"cython_debug = {debug!r}\n"
            f"numpy_build_version = {np.__version__!r}\n"
        )
        targets = [os.path.join("cyconv", "_build_info.py")]  # source tree (in-place / editable)
        if not self.inplace:
            targets.append(os.path.join(self.build_lib, "cyconv", "_build_info.py"))
        for path in targets:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)


def extensions():
    debug = bool(_env_flag("CYCONV_DEBUG"))
    directives = {
        "language_level": 3,
        "boundscheck": debug,
        "wraparound": False,
        "cdivision": True,
        "initializedcheck": debug,
        "embedsignature": True,
        # No per-module __test__ doctest dict: nothing uses it, and it would be
        # public API that the .pyi stubs (checked by mypy.stubtest) do not have.
        "autotestdict": False,
        # Declares the modules safe without the GIL on free-threaded CPython
        # (3.14t): the kernels share no mutable state (one thread owns each
        # output element, scratch is per call), capi allocates per call, and
        # _threads guards its one global counter with a threading.Lock.
        "freethreading_compatible": True,
    }
    exts = [
        Extension(
            f"cyconv.{name}",
            [f"cyconv/{name}.pyx"],
            include_dirs=["cyconv", np.get_include()],
            depends=DEPENDS.get(name, []),
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for name in MODULES
    ]
    exts += [Extension(f"cyconv.{name}", [f"cyconv/{name}.py"]) for name in COMPILED_PY]
    if platform.machine().lower() in ("x86_64", "amd64", "x86", "i686"):
        for name, unix_flags, msvc_flags in SIMD_VARIANTS:
            ext = Extension(
                f"cyconv.{name}",
                [f"cyconv/{name.replace('.', '/')}.pyx"],
                include_dirs=["cyconv", np.get_include()],
                depends=DEPENDS.get(name, []),
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            )
            SIMD_FLAGS[ext.name] = {"unix": unix_flags, "msvc": msvc_flags}
            exts.append(ext)
    return cythonize(exts, compiler_directives=directives)


setup(ext_modules=extensions(), cmdclass={"build_ext": OpenMPBuildExt})
