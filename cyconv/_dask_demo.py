"""``python -m cyconv demo dask``: filter a volume larger than the memory it may use.

A 3-D float32 volume is written to disk chunk by chunk (a zarr array, or a
``.npy`` file read through short-lived memory maps when zarr is not
installed), Gaussian-filtered on dask's threaded scheduler and written back
chunk by chunk.  ``--method store`` (the default) reads each chunk with its
overlap straight from the store (:func:`cyconv.dask.map_store`);
``--method overlap`` filters the dask array with
:func:`cyconv.dask.gaussian_filter` (``map_overlap``), which dask schedules
holding many more chunks at once.  The process's peak resident memory is
printed before and after filtering.  A box of the result is checked against
the in-memory filter of the same box of the input.
"""

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

MiB = 1 << 20


def peak_rss():
    """Peak resident set size of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


class NpyFile:
    """A ``.npy`` file that dask reads and writes one block at a time.

    Each access maps the file, copies the block and unmaps it, so pages of the
    file do not accumulate in this process's resident memory the way one
    long-lived ``numpy.memmap`` would let them.
    """

    def __init__(self, path, shape=None, dtype=np.float32):
        if shape is not None:
            np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape).flush()
        header = np.load(path, mmap_mode="r")
        self.path, self.shape, self.dtype, self.ndim = path, header.shape, header.dtype, header.ndim
        del header

    def __getitem__(self, index):
        mm = np.load(self.path, mmap_mode="r")
        block = np.array(mm[index])
        del mm
        return block

    def __setitem__(self, index, value):
        mm = np.load(self.path, mmap_mode="r+")
        mm[index] = value
        mm.flush()
        del mm


def _stores(directory, shape, chunks, use_zarr):
    """(write input, open input, write output, open output, the input store) for one backend."""
    import dask.array as da

    if use_zarr:
        import zarr

        src, dst = os.path.join(directory, "volume.zarr"), os.path.join(directory, "filtered.zarr")
        return (lambda x: da.to_zarr(x, src, overwrite=True), lambda: da.from_zarr(src),
                lambda y: da.to_zarr(y, dst, overwrite=True), lambda: da.from_zarr(dst),
                lambda: zarr.open_array(src, mode="r"))
    src, dst = os.path.join(directory, "volume.npy"), os.path.join(directory, "filtered.npy")

    def write(path):
        def store(x):
            da.store(x, NpyFile(path, x.shape, x.dtype), lock=False)
        return store

    return (write(src), lambda: da.from_array(NpyFile(src), chunks=chunks),
            write(dst), lambda: da.from_array(NpyFile(dst), chunks=chunks), lambda: NpyFile(src))


def run(shape=(1024, 256, 256), chunk=64, sigma=2.0, workers=2, directory=None, store="auto",
        method="store", out=print):
    """Run the demo; returns a dict of the sizes (bytes) and peak-memory figures."""
    import dask
    import dask.array as da

    from cyconv import dask as cd
    from cyconv import ndimage

    if store == "auto":
        try:
            import zarr  # noqa: F401
            store = "zarr"
        except ImportError:
            store = "npy"
    chunks = (chunk,) * len(shape)
    volume = int(np.prod(shape)) * 4
    chunk_bytes = chunk ** len(shape) * 4
    tmp = tempfile.TemporaryDirectory() if directory is None else None
    where = tmp.name if tmp else directory
    try:
        write_in, read_in, write_out, read_out, open_source = _stores(where, shape, chunks,
                                                                      store == "zarr")
        with dask.config.set(scheduler="threads", num_workers=workers):
            rng = da.random.default_rng(0)
            write_in(rng.standard_normal(shape, chunks=chunks, dtype=np.float32))
            before = peak_rss()
            t = time.perf_counter()
            if method == "store":
                r = int(4.0 * sigma + 0.5)
                filtered = cd.map_store(ndimage.gaussian_filter, open_source(), r, chunks,
                                        sigma=sigma)
            else:
                filtered = cd.gaussian_filter(read_in(), sigma)
            write_out(filtered)
            seconds = time.perf_counter() - t
            after = peak_rss()
            # Check a box that straddles chunk boundaries against the in-memory filter.
            r = int(4.0 * sigma + 0.5)
            lo = [max(0, c - 5 - r) for c in chunks]
            hi = [min(s, c + 5 + r) for s, c in zip(shape, chunks)]
            box = tuple(slice(a, b) for a, b in zip(lo, hi))
            inner = tuple(slice(r, (b - a) - r) for a, b in zip(lo, hi))
            region = read_in()[box].compute()
            expected = ndimage.gaussian_filter(region, sigma)[inner]
            got = read_out()[box].compute()[inner]
            ok = bool(np.array_equal(got, expected))
    finally:
        if tmp:
            tmp.cleanup()
    info = {"store": store, "method": method, "volume_bytes": volume, "chunk_bytes": chunk_bytes,
            "workers": workers,
            "peak_rss_before": before, "peak_rss_after": after, "growth": after - before,
            "seconds": seconds, "ok": ok}
    out(f"volume {shape} float32 = {volume / MiB:.0f} MiB in {store}, chunks {chunks} = "
        f"{chunk_bytes / MiB:.2f} MiB, gaussian_filter sigma={sigma}, {workers} threads, "
        f"{'map_store' if method == 'store' else 'map_overlap'}\n"
        f"filtered and written back in {seconds:.1f} s\n"
        f"peak RSS before filtering {before / MiB:.0f} MiB, after {after / MiB:.0f} MiB: grew by "
        f"{(after - before) / MiB:.1f} MiB = {(after - before) / volume:.0%} of the volume\n"
        f"a box across chunk boundaries equals the in-memory filter: {'OK' if ok else 'MISMATCH'}")
    return info


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cyconv demo dask", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", default="1024,256,256", help="volume shape (default 1024,256,256)")
    p.add_argument("--chunk", type=int, default=64, help="chunk edge (default 64)")
    p.add_argument("--sigma", type=float, default=2.0)
    p.add_argument("--workers", type=int, default=2, help="dask threads (default 2)")
    p.add_argument("--store", choices=["auto", "zarr", "npy"], default="auto")
    p.add_argument("--method", choices=["store", "overlap"], default="store",
                   help="store: map_store reads overlaps from the store; overlap: map_overlap")
    p.add_argument("--dir", help="where to write the volumes (default: a temporary folder)")
    a = p.parse_args(argv)
    shape = tuple(int(s) for s in a.shape.split(","))
    info = run(shape, a.chunk, a.sigma, a.workers, a.dir, a.store, a.method)
    return 0 if info["ok"] else 1
