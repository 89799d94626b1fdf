#!/usr/bin/env bash
# Memory-safety check: build cyconv with AddressSanitizer and Cython bounds
# checking (CYCONV_SANITIZE=address CYCONV_DEBUG=1, see setup.py) into a
# throw-away venv, and run a representative subset of the test suite under it.
#
#   tools/sanitize_check.sh [pytest args...]     # default subset below
#
# Python itself is not built with ASan, so libasan is LD_PRELOADed; leak
# detection is off (the interpreter's own allocations at exit are reported
# as leaks; tests/test_leaks.py covers leaks).  Any invalid read/write aborts
# the run with an ASan report and a non-zero exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
# Build from a clean copy of the tracked sources: generated .c files and
# build/ of a normal build in this tree would otherwise be reused (cythonize
# looks at timestamps, not at the bounds-check directives).
src=$(mktemp -d)/cyconv-asan
mkdir -p "$src"
git ls-files -z | xargs -0 cp --parents -t "$src"
# uncommitted edits of tracked files are included; the tests too
cd "$src"
venv=${CYCONV_ASAN_VENV:-/tmp/cyconv-asan-venv}
rm -rf "$venv"
python3 -m venv "$venv"
. "$venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "numpy" "Cython>=3.1" "setuptools>=77" pytest scipy hypothesis threadpoolctl
CYCONV_SANITIZE=address CYCONV_DEBUG=1 python -m pip install -q --no-build-isolation --force-reinstall --no-deps .
libasan=$(${CC:-gcc} -print-file-name=libasan.so)
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
(cd / && python - <<'PY'
from cyconv import _build_info as b
assert any("sanitize=address" in f for f in b.extra_compile_args), b.extra_compile_args
assert b.cython_debug, "CYCONV_DEBUG=1 did not reach the build"
print("ASan build:", b.extra_compile_args)
PY
)
if [ $# -eq 0 ]; then
    set -- tests/test_signal.py tests/test_errors.py tests/test_simd.py tests/test_winograd.py \
           tests/test_fuzz.py \
           tests/test_nonfinite_and_range.py tests/test_stress_threads.py -q -p no:cacheprovider
fi
# tests/test_simd.py runs both kernel builds (baseline and AVX2) itself
python -m pytest "$@"
echo "ASan run clean"
