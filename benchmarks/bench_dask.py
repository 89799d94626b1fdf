"""cyconv.dask vs dask_image.ndfilters on the same scheduler and worker count.

Same as ``python -m cyconv bench --dask`` (see cyconv/_bench_dask.py for the
workloads and the method); options: --shape, --chunk, --workers, --rounds.
"""
import sys

from cyconv._bench_dask import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
