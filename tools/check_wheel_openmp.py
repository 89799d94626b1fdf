"""Wheel smoke test: the installed cyconv runs OpenMP from the runtime its wheel vendors.

Run by cibuildwheel's test-command and tools/build_wheels_local.sh, from a
directory where the source tree cannot be imported.  Prints the build
configuration and every OpenMP runtime loaded in the process (threadpoolctl),
and fails when

* cyconv was built without OpenMP (a serial wheel is a broken release),
* a parallel region does not really start two threads,
* on free-threaded CPython, importing cyconv turned the GIL back on,
* no OpenMP runtime is loaded, or the one loaded is not inside the installed
  package (cyconv.libs/ for auditwheel/delvewheel, cyconv/.dylibs/ for
  delocate) -- unless CYCONV_ALLOW_SYSTEM_OPENMP=1 (a plain, unrepaired build).
"""

import os
import pathlib
import sys
import sysconfig

import numpy as np
from threadpoolctl import threadpool_info

import cyconv
from cyconv import _config, _threads


def main():
    cfg = _config.config()
    print(f"cyconv {cfg['version']} from {pathlib.Path(cyconv.__file__).parent}")
    for key in ("openmp", "openmp_version", "compiler", "extra_compile_args", "extra_link_args"):
        print(f"  {key:<20}: {cfg.get(key)}")
    if not cfg["openmp"]:
        sys.exit("FAIL: this cyconv was built without OpenMP")
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        # Free-threaded CPython re-enables the GIL (with a warning) when it
        # imports an extension that does not declare itself compatible.
        gil = sys._is_gil_enabled()
        print(f"  free-threaded build : GIL {'ENABLED' if gil else 'disabled'} after import")
        if gil:
            sys.exit("FAIL: importing cyconv re-enabled the GIL on free-threaded CPython")
    team = _threads.team_size(2)
    print(f"  team_size(2)        : {team}")
    if team != 2:
        sys.exit(f"FAIL: a 2-thread parallel region ran {team} thread(s)")
    # A real parallel call, so every runtime a kernel uses is loaded.
    x = np.random.default_rng(0).standard_normal((512, 512))
    cyconv.correlate(x, np.ones((5, 5)), mode="same", method="direct", workers=2)

    site = pathlib.Path(cyconv.__file__).resolve().parent.parent
    ours = (site / "cyconv.libs", site / "cyconv" / ".dylibs")
    runtimes = [i for i in threadpool_info() if i.get("user_api") == "openmp"]
    if not runtimes:
        sys.exit("FAIL: threadpoolctl finds no OpenMP runtime in this process")
    vendored = False
    for info in runtimes:
        path = pathlib.Path(info["filepath"]).resolve()
        inside = any(d in path.parents for d in ours)
        vendored |= inside
        print(f"OpenMP runtime loaded: {info.get('prefix')} {info.get('version')} "
              f"({info.get('internal_api')}, {info.get('num_threads')} threads)\n"
              f"  {path}  [{'vendored in the wheel' if inside else 'NOT from the wheel'}]")
    if not vendored and os.environ.get("CYCONV_ALLOW_SYSTEM_OPENMP") != "1":
        sys.exit("FAIL: the OpenMP runtime is not the one vendored in the wheel")
    print("OK")


if __name__ == "__main__":
    main()
