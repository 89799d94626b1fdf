"""cyconv on dask arrays: chunk by chunk, larger than memory, across a cluster.

Every function takes a ``dask.array.Array`` and returns a lazy one; nothing
is computed until ``.compute()``, ``.store()`` or ``.to_zarr()``.  Needs the
optional extra ``pip install "cyconv[dask]"``; ``import cyconv`` never imports
dask, and this module imports it only when one of its functions is called.

Two families:

* **ndimage style** (``correlate``, ``convolve``, ``correlate1d``,
  ``convolve1d``, ``gaussian_filter``, ``uniform_filter``, ``sobel``,
  ``prewitt``, ``laplace``, ``gaussian_laplace``,
  ``gaussian_gradient_magnitude``): ``dask_image.ndfilters``' signatures and
  results (which are scipy.ndimage's), plus a keyword ``workers``.  Each chunk
  is extended by the filter's reach (kernel half-width + ``|origin|`` per axis)
  with its real neighbours through ``dask.array.map_overlap`` and filtered by
  the matching :mod:`cyconv.ndimage` function; the array's own edges get the
  requested ``mode``, ``'wrap'`` through dask's periodic boundary.  The output
  has the input's shape, dtype and chunks.
* **signal style** (``correlate_signal``, ``convolve_signal``,
  ``fftconvolve``): ``scipy.signal``'s ``full`` / ``same`` / ``valid`` on a
  dask array and a small in-memory kernel.  Output chunks: ``same`` keeps the
  input's chunks; ``full`` grows the last chunk of each axis by ``k - 1`` and
  ``valid`` shrinks it by ``k - 1`` (``k`` the kernel length on that axis).

Chunks smaller than the overlap they must lend a neighbour are merged with
it first (a rechunk); when that is impossible (unknown chunk sizes) a
``ValueError`` says so.  Results equal the in-memory call on the same array,
bit for bit for the direct methods.

Thread policy
-------------
With ``workers=None`` (the default) each chunk call decides, inside its dask
task, how many threads it may use (:func:`task_workers`):

* a task running in a thread pool -- dask's threaded scheduler, or a
  ``dask.distributed`` worker with several threads -- uses **one** thread:
  the pool already runs one task per core;
* a task that has its process to itself -- the synchronous scheduler, or a
  distributed worker with one thread -- uses **all the cores of its
  process** (cyconv's default: ``omp_get_max_threads()``, which honours
  ``OMP_NUM_THREADS``; distributed's nanny sets ``OMP_NUM_THREADS=1`` in its
  workers unless ``distributed.nanny.pre-spawn-environ`` says otherwise, so
  several one-thread workers on one host do not oversubscribe it);
* a task in a pool process of dask's ``processes`` scheduler uses
  ``cpu_count // num_workers`` threads (one with dask's default pool of one
  process per core).

An explicit ``workers=n`` is passed to every chunk call as it is.
"""

import functools
import multiprocessing
import numbers
import operator
import sys
import threading

import numpy as np

from cyconv import _threads

__all__ = [
    "correlate", "convolve", "correlate1d", "convolve1d", "gaussian_filter", "uniform_filter",
    "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude",
    "correlate_signal", "convolve_signal", "fftconvolve", "map_store", "task_workers",
]

_WRAP = ("wrap", "grid-wrap")


def _dask_array():
    try:
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - the test extra installs dask
        raise ImportError('cyconv.dask needs dask: pip install "cyconv[dask]"') from exc
    return da


# --------------------------------------------------------------------------
# Thread policy
# --------------------------------------------------------------------------
def _distributed_worker():
    """The ``dask.distributed`` worker running this task, or None."""
    if "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:
        return None


def task_workers():
    """The ``workers`` a chunk call gets by default in the current dask task.

    Returns 1 in a thread pool (dask's threaded scheduler, a multi-threaded
    ``dask.distributed`` worker), ``None`` (cyconv's default: every core of
    the process, as ``OMP_NUM_THREADS`` allows) when the task has its process
    to itself, and ``cpu_count // num_workers`` in a pool process of dask's
    ``processes`` scheduler.  See the module docstring.

    Examples
    --------
    >>> from cyconv.dask import task_workers
    >>> task_workers() is None   # the main thread, outside any pool
    True
    """
    worker = _distributed_worker()
    if worker is not None:
        return 1 if worker.state.nthreads > 1 else None
    if threading.current_thread() is not threading.main_thread():
        return 1
    if multiprocessing.parent_process() is not None:
        import dask

        cpus = _threads.cpu_count()
        return max(1, cpus // (dask.config.get("num_workers", None) or cpus))
    return None


def _chunk_workers(workers):
    return task_workers() if workers is None else workers


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------
def _check_array(a, name):
    da = _dask_array()
    if not isinstance(a, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array, got {type(a).__name__} "
                        "(wrap it with dask.array.from_array)")
    for ax, chunks in enumerate(a.chunks):
        if any(c != c for c in chunks):  # NaN: unknown chunk sizes
            raise ValueError(f"{name} has unknown chunk sizes along axis {ax}, so it cannot be "
                             f"rechunked for the overlap; call {name}.compute_chunk_sizes() first")
    return a


def _check_workers(workers):
    if workers is not None:
        _threads.resolve_workers(workers)
    return workers


def _in_memory(a):
    """A kernel as a numpy array (a dask kernel is computed: kernels are small)."""
    if hasattr(a, "compute") and hasattr(a, "chunks"):
        a = a.compute()
    return np.asarray(a)


def _per_axis(value, ndim, name):
    """A scalar or a length-``ndim`` sequence as a list of ``ndim`` values."""
    if np.ndim(value) == 0:
        return [value] * ndim
    values = list(value)
    if len(values) != ndim:
        raise ValueError(f"{name} needs one value per axis ({ndim}), got {len(values)}")
    return values


def _int_per_axis(value, ndim, name):
    out = []
    for v in _per_axis(value, ndim, name):
        try:
            out.append(operator.index(v))
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints, got {v!r}") from None
    return out


def _axis(axis, ndim, name="axis"):
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(axis).__name__}") from None
    if not -ndim <= ax < ndim:
        raise ValueError(f"{name}={axis} is out of range for a {ndim}-d array")
    return ax % ndim


def _gauss_radius(sigma, truncate, ndim, radius=None):
    """scipy.ndimage.gaussian_filter's kernel radius per axis."""
    if radius is not None:
        return _int_per_axis(radius, ndim, "radius")
    if not isinstance(truncate, numbers.Real):
        raise TypeError(f"truncate must be a real number, got {type(truncate).__name__}")
    radii = []
    for s in _per_axis(sigma, ndim, "sigma"):
        if not isinstance(s, numbers.Real):
            raise TypeError(f"sigma must be a real number or a sequence of them, got {s!r}")
        radii.append(int(float(truncate) * float(s) + 0.5))
    return radii


# --------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------
def _merge_small(chunks, least):
    """Merge chunks so that every one but the first holds at least ``least`` cells."""
    out = []
    for c in chunks:
        if len(out) > 1 and out[-1] < least:
            out[-1] += c
        else:
            out.append(c)
    if len(out) > 1 and out[-1] < least:
        last = out.pop()
        out[-1] += last
    return tuple(out)


def _fit_chunks(image, depth):
    """Rechunk where a chunk is thinner than the overlap it lends its neighbours."""
    chunks = []
    for c, d in zip(image.chunks, depth):
        merged = _merge_small(c, d)
        if len(merged) > 1 and merged[0] < d:  # the first chunk lends to its right too
            merged = (merged[0] + merged[1],) + merged[2:]
        chunks.append(merged)
    chunks = tuple(chunks)
    return image if chunks == image.chunks else image.rechunk(chunks)


# --------------------------------------------------------------------------
# ndimage style
# --------------------------------------------------------------------------
def _aligned(a):
    """A copy of an unaligned array: blocks and kernels unpickled from a
    dask.distributed message may sit at any byte offset, and cyconv's kernels
    need aligned data."""
    return a if a.flags.aligned else a.copy()


def _ndimage_block(block, *, name, mode, workers, kwargs):
    from cyconv import ndimage

    if "weights" in kwargs:
        kwargs = dict(kwargs, weights=_aligned(kwargs["weights"]))
    return getattr(ndimage, name)(_aligned(block), mode=mode, workers=_chunk_workers(workers), **kwargs)


def _filter(image, name, depth, mode, workers, **kwargs):
    """``cyconv.ndimage.<name>`` chunk by chunk, with ``depth`` cells of real neighbours per axis."""
    from cyconv import ndimage

    image = _check_array(image, "image")
    _check_workers(workers)
    ndim = image.ndim
    one_mode = isinstance(mode, str)
    modes = [mode] * ndim if one_mode else _per_axis(mode, ndim, "mode")
    if "valid" in modes:
        raise ValueError("mode='valid' is not supported on dask arrays (the output would not "
                         "keep the input's chunks); use correlate_signal(..., mode='valid')")
    # Validates every argument and gives the output dtype, before any graph is built.
    probe = np.zeros([max(1, min(s, 2 * d + 1)) for s, d in zip(image.shape, depth)], image.dtype)
    dtype = getattr(ndimage, name)(probe, mode=mode, workers=1, **kwargs).dtype
    if image.size == 0:
        return image.astype(dtype)
    image = _fit_chunks(image, depth)
    depths, boundary, chunk_modes = {}, {}, []
    for ax, (d, m, n) in enumerate(zip(depth, modes, image.numblocks)):
        # One mode for all axes means one chunk mode for all: then every axis
        # wraps through the overlap as soon as any axis has several chunks.
        periodic = m in _WRAP and (max(image.numblocks) if one_mode else n) > 1
        if periodic:
            if d > image.shape[ax]:
                raise ValueError(f"mode={m!r}: the filter reaches {d} cells along axis {ax}, more "
                                 f"than its length {image.shape[ax]}; this needs a single chunk "
                                 "on every axis for dask arrays")
            depths[ax], boundary[ax] = d, "periodic"
            chunk_modes.append("constant")  # the periodic overlap holds the wrapped cells
        else:
            depths[ax], boundary[ax] = (d if n > 1 else 0), "none"
            chunk_modes.append(m)
    chunk_mode = chunk_modes[0] if one_mode else chunk_modes
    fn = functools.partial(_ndimage_block, name=name, mode=chunk_mode, workers=workers, kwargs=kwargs)
    return image.map_overlap(fn, depth=depths, boundary=boundary, dtype=dtype,
                             meta=np.empty((0,) * ndim, dtype), token=f"cyconv-{name}")


def _kernel_depth(shape, origin, name="origin"):
    origins = _int_per_axis(origin, len(shape), name)
    for n, o in zip(shape, origins):
        if not -(n // 2) <= o <= (n - 1) // 2:
            raise ValueError(f"{name}={origin} must lie within the kernel (shape {tuple(shape)})")
    return [n // 2 + abs(o) for n, o in zip(shape, origins)]


def correlate(image, weights, mode="reflect", cval=0.0, origin=0, *, workers=None):
    """Multidimensional correlation of a dask array, as ``scipy.ndimage.correlate``.

    Parameters
    ----------
    image : dask.array.Array
        The input.
    weights : array_like
        The kernel, with ``image.ndim`` dimensions (a dask kernel is computed).
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'}, optional
        How the array's own edges are extended (interior chunk edges see
        their real neighbours).
    cval : scalar, optional
        The fill value of ``mode='constant'``.
    origin : int or sequence of int, optional
        Shift of the kernel's centre, as in scipy.ndimage.
    workers : int, optional
        Threads of each chunk call; ``None`` follows the thread policy of
        :mod:`cyconv.dask`.

    Returns
    -------
    dask.array.Array
        Lazy, with the input's shape, dtype and chunks.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(8.0), chunks=3)
    >>> cd.correlate(x, [1.0, 0.0, -1.0]).compute()
    array([-1., -2., -2., -2., -2., -2., -2., -1.])
    """
    w = _in_memory(weights)
    if w.ndim != getattr(image, "ndim", w.ndim):
        raise ValueError(f"weights must have image.ndim={image.ndim} dimensions, got {w.ndim}")
    return _filter(image, "correlate", _kernel_depth(w.shape, origin), mode, workers,
                   weights=w, cval=cval, origin=origin)


def convolve(image, weights, mode="reflect", cval=0.0, origin=0, *, workers=None):
    """Multidimensional convolution of a dask array, as ``scipy.ndimage.convolve``.

    Parameters as :func:`correlate`; the kernel is flipped.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(8.0), chunks=3)
    >>> cd.convolve(x, [1.0, 0.0, -1.0]).compute()
    array([1., 2., 2., 2., 2., 2., 2., 1.])
    """
    w = _in_memory(weights)
    if w.ndim != getattr(image, "ndim", w.ndim):
        raise ValueError(f"weights must have image.ndim={image.ndim} dimensions, got {w.ndim}")
    return _filter(image, "convolve", _kernel_depth(w.shape, origin), mode, workers,
                   weights=w, cval=cval, origin=origin)


def _one_axis_depth(image, weights, axis, origin):
    w = _in_memory(weights)
    if w.ndim != 1:
        raise ValueError(f"weights must be 1-D, got {w.ndim} dimensions")
    ndim = _check_array(image, "image").ndim
    ax = _axis(axis, ndim)
    depth = [0] * ndim
    depth[ax] = _kernel_depth(w.shape, origin)[0]
    return w, depth


def correlate1d(image, weights, axis=-1, mode="reflect", cval=0.0, origin=0, *, workers=None):
    """1-D correlation along ``axis`` of a dask array, as ``scipy.ndimage.correlate1d``.

    Parameters as :func:`correlate`, with a 1-D ``weights`` and the ``axis``
    to filter along.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    >>> cd.correlate1d(x, [1.0, -1.0], axis=0).compute()
    array([[ 0.,  0.,  0.,  0.],
           [-4., -4., -4., -4.],
           [-4., -4., -4., -4.]])
    """
    w, depth = _one_axis_depth(image, weights, axis, origin)
    return _filter(image, "correlate1d", depth, mode, workers, weights=w, axis=axis, cval=cval,
                   origin=origin)


def convolve1d(image, weights, axis=-1, mode="reflect", cval=0.0, origin=0, *, workers=None):
    """1-D convolution along ``axis`` of a dask array, as ``scipy.ndimage.convolve1d``.

    Parameters as :func:`correlate1d`; the kernel is flipped.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    >>> cd.convolve1d(x, [1.0, -1.0], axis=1).compute()
    array([[1., 1., 1., 0.],
           [1., 1., 1., 0.],
           [1., 1., 1., 0.]])
    """
    w, depth = _one_axis_depth(image, weights, axis, origin)
    return _filter(image, "convolve1d", depth, mode, workers, weights=w, axis=axis, cval=cval,
                   origin=origin)


def gaussian_filter(image, sigma, order=0, mode="reflect", cval=0.0, truncate=4.0, *, workers=None):
    """Gaussian filter of a dask array, as ``scipy.ndimage.gaussian_filter``.

    Parameters
    ----------
    image : dask.array.Array
        The input.
    sigma : scalar or sequence of scalars
        Standard deviation of the Gaussian, one for all axes or one per axis.
    order : int or sequence of ints, optional
        Derivative order per axis (0: smoothing).
    mode : str or sequence of str, optional
        Edge mode(s) of the array, as in scipy.ndimage.
    cval : scalar, optional
        Fill value of ``mode='constant'``.
    truncate : float, optional
        The kernel reaches ``int(truncate * sigma + 0.5)`` cells each side.
    workers : int, optional
        Threads of each chunk call (see the thread policy).

    Returns
    -------
    dask.array.Array
        Lazy, with the input's shape, dtype and chunks.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.eye(4), chunks=2)
    >>> np.round(cd.gaussian_filter(x, 1.0).compute(), 3)
    array([[0.502, 0.323, 0.134, 0.041],
           [0.323, 0.312, 0.23 , 0.134],
           [0.134, 0.23 , 0.312, 0.323],
           [0.041, 0.134, 0.323, 0.502]])
    """
    image = _check_array(image, "image")
    depth = _gauss_radius(sigma, truncate, image.ndim)
    return _filter(image, "gaussian_filter", depth, mode, workers, sigma=sigma, order=order,
                   cval=cval, truncate=truncate)


def uniform_filter(image, size=3, mode="reflect", cval=0.0, origin=0, *, workers=None):
    """Moving average of a dask array, as ``scipy.ndimage.uniform_filter``.

    Parameters
    ----------
    image : dask.array.Array
        The input.
    size : int or sequence of int, optional
        Width of the box per axis.
    mode, cval, origin, workers
        As in :func:`correlate` (``mode`` may be one per axis).

    Returns
    -------
    dask.array.Array
        Lazy, with the input's shape, dtype and chunks.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(6.0), chunks=2)
    >>> cd.uniform_filter(x, 3).compute()
    array([0.33333333, 1.        , 2.        , 3.        , 4.        , 4.66666667])
    """
    image = _check_array(image, "image")
    sizes = _int_per_axis(size, image.ndim, "size")
    if any(s < 1 for s in sizes):
        raise ValueError(f"size must be positive, got {size!r}")
    origins = _int_per_axis(origin, image.ndim, "origin")
    depth = [_kernel_depth((s,), o)[0] for s, o in zip(sizes, origins)]
    return _filter(image, "uniform_filter", depth, mode, workers, size=size, cval=cval,
                   origin=origin)


def _edge(name, image, axis, mode, cval, workers):
    image = _check_array(image, "image")
    _axis(axis, image.ndim)
    return _filter(image, name, [1] * image.ndim, mode, workers, axis=axis, cval=cval)


def sobel(image, axis=-1, mode="reflect", cval=0.0, *, workers=None):
    """Sobel derivative along ``axis`` of a dask array, as ``scipy.ndimage.sobel``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(16.0).reshape(4, 4) ** 2, chunks=2)
    >>> cd.sobel(x, axis=1).compute()
    array([[ 12.,  32.,  48.,  28.],
           [ 36.,  80.,  96.,  52.],
           [ 68., 144., 160.,  84.],
           [ 92., 192., 208., 108.]])
    """
    return _edge("sobel", image, axis, mode, cval, workers)


def prewitt(image, axis=-1, mode="reflect", cval=0.0, *, workers=None):
    """Prewitt derivative along ``axis`` of a dask array, as ``scipy.ndimage.prewitt``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(16.0).reshape(4, 4), chunks=2)
    >>> cd.prewitt(x, axis=0).compute()
    array([[12., 12., 12., 12.],
           [24., 24., 24., 24.],
           [24., 24., 24., 24.],
           [12., 12., 12., 12.]])
    """
    return _edge("prewitt", image, axis, mode, cval, workers)


def laplace(image, mode="reflect", cval=0.0, *, workers=None):
    """Discrete Laplacian of a dask array, as ``scipy.ndimage.laplace``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(6.0) ** 2, chunks=2)
    >>> cd.laplace(x).compute()
    array([ 1.,  2.,  2.,  2.,  2., -9.])
    """
    image = _check_array(image, "image")
    return _filter(image, "laplace", [1] * image.ndim, mode, workers, cval=cval)


def _gaussian_derivative(name, image, sigma, mode, cval, truncate, workers, kwargs):
    image = _check_array(image, "image")
    modes = mode if isinstance(mode, str) else set(_per_axis(mode, image.ndim, "mode"))
    if not isinstance(modes, str) and len(modes) > 1 and modes & set(_WRAP):
        # scipy applies the mode of axis i to *every* axis of the i-th Gaussian
        # derivative, which a per-axis periodic overlap cannot reproduce.
        raise ValueError(f"{name}: a per-axis mode mixing 'wrap' with other modes is not "
                         f"supported on dask arrays, got mode={mode!r}")
    depth = _gauss_radius(sigma, truncate, image.ndim, kwargs.get("radius"))
    return _filter(image, name, depth, mode, workers, sigma=sigma, cval=cval, truncate=truncate,
                   **kwargs)


def gaussian_laplace(image, sigma, mode="reflect", cval=0.0, truncate=4.0, *, workers=None, **kwargs):
    """Laplacian of Gaussian of a dask array, as ``scipy.ndimage.gaussian_laplace``.

    Parameters as :func:`gaussian_filter` (without ``order``); further
    keywords go to :func:`cyconv.ndimage.gaussian_filter`.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(8.0) ** 2, chunks=3)
    >>> np.round(cd.gaussian_laplace(x, 1.0).compute(), 2)
    array([ 1.32,  1.72,  1.96,  2.  ,  1.97,  1.37, -2.18, -8.16])
    """
    return _gaussian_derivative("gaussian_laplace", image, sigma, mode, cval, truncate, workers, kwargs)


def gaussian_gradient_magnitude(image, sigma, mode="reflect", cval=0.0, truncate=4.0, *, workers=None,
                                **kwargs):
    """Gradient magnitude with Gaussian derivatives of a dask array.

    As ``scipy.ndimage.gaussian_gradient_magnitude``; parameters as
    :func:`gaussian_laplace`.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(8.0), chunks=3)
    >>> np.round(cd.gaussian_gradient_magnitude(x, 1.0).compute(), 2)
    array([0.36, 0.85, 0.99, 1.  , 1.  , 0.99, 0.85, 0.36])
    """
    return _gaussian_derivative("gaussian_gradient_magnitude", image, sigma, mode, cval, truncate,
                                workers, kwargs)


# --------------------------------------------------------------------------
# straight from a store
# --------------------------------------------------------------------------
def _store_block(*, source, function, depth, kwargs, workers, block_info=None):
    where = block_info[None]
    ext = [(max(0, a - d), min(n, b + d))
           for (a, b), d, n in zip(where["array-location"], depth, where["shape"])]
    region = _aligned(np.asarray(source[tuple(slice(a, b) for a, b in ext)]))
    if workers is not False:  # function takes workers: apply the thread policy here
        kwargs = dict(kwargs, workers=_chunk_workers(workers))
    out = function(region, **kwargs)
    return out[tuple(slice(a - e, b - e) for (a, b), (e, _) in zip(where["array-location"], ext))]


def map_store(function, source, depth, chunks, dtype=None, *, workers=None, **kwargs):
    """An in-memory filter over a store larger than memory, one chunk per task.

    Each task reads its chunk plus ``depth`` cells of its neighbours straight
    from ``source`` (clipped at the array's edges, where ``function``'s own
    ``mode`` applies), filters that region in memory and keeps the chunk.
    Unlike ``map_overlap``, no task waits for its neighbours' chunks, so dask
    holds only the regions being computed: memory stays a few chunks per
    worker however large the volume (``map_overlap`` on a 3-D grid of chunks
    keeps a large share of them; see the README).

    Parameters
    ----------
    function : callable
        ``function(block, **kwargs)`` returning an array of ``block``'s shape,
        e.g. :func:`cyconv.ndimage.gaussian_filter`.  Modes that need the far
        side of the array (``'wrap'``) are not reproduced.
    source : array-like store
        Anything with ``shape``, ``dtype`` and numpy slicing: a zarr array, an
        h5py dataset, a ``numpy.memmap``.
    depth : int or sequence of int
        Cells of overlap per axis (the filter's reach).
    chunks : int or tuple
        Output chunks (dask's notation).
    dtype : dtype, optional
        Output dtype (default: the source's).
    workers : int, optional
        Passed to ``function`` when it takes ``workers``; ``None`` follows the
        thread policy of :mod:`cyconv.dask`.
    **kwargs
        Further arguments of ``function``.

    Returns
    -------
    dask.array.Array
        Lazy; store it with ``to_zarr`` or ``dask.array.store``.

    Examples
    --------
    >>> import numpy as np, scipy.ndimage
    >>> from cyconv import dask as cd
    >>> volume = np.random.default_rng(0).standard_normal((40, 30))  # or a zarr array
    >>> out = cd.map_store(scipy.ndimage.gaussian_filter, volume, depth=8, chunks=16, sigma=2)
    >>> bool(np.array_equal(out.compute(), scipy.ndimage.gaussian_filter(volume, 2)))
    True
    """
    import inspect

    da = _dask_array()
    shape = tuple(source.shape)
    depth = [max(0, d) for d in _int_per_axis(depth, len(shape), "depth")]
    _check_workers(workers)
    if "workers" not in inspect.signature(function).parameters:
        workers = False
    dtype = np.dtype(source.dtype if dtype is None else dtype)
    chunks = da.core.normalize_chunks(chunks, shape, dtype=dtype)
    fn = functools.partial(_store_block, source=source, function=function, depth=depth,
                           kwargs=kwargs, workers=workers)
    return da.map_blocks(fn, chunks=chunks, dtype=dtype, meta=np.empty((0,) * len(shape), dtype),
                         token="cyconv-map_store")


# --------------------------------------------------------------------------
# signal style
# --------------------------------------------------------------------------
def _signal_block(block, *, kernel, pads, convolve, method, workers, block_info=None):
    """A 'valid' call on one chunk, zero-padded where it touches the array's edges."""
    import cyconv

    where = block_info[None]
    edges = [(lo if i == 0 else 0, hi if i == n - 1 else 0)
             for (lo, hi), i, n in zip(pads, where["chunk-location"], where["num-chunks"])]
    if any(lo or hi for lo, hi in edges):
        block = np.pad(block, edges)
    fn = cyconv.convolve if convolve else cyconv.correlate
    return fn(_aligned(block), _aligned(kernel), mode="valid", method=method,
              workers=_chunk_workers(workers))


def _signal(in1, in2, mode, method, workers, convolve):
    import cyconv

    da = _dask_array()
    in1 = _check_array(in1, "in1")
    kernel = _in_memory(in2)
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")
    if kernel.ndim != in1.ndim:
        raise ValueError(f"in1 and in2 should have the same dimensionality, got {in1.ndim} and "
                         f"{kernel.ndim}")
    _check_workers(workers)
    ones = (1,) * in1.ndim
    fn = cyconv.convolve if convolve else cyconv.correlate
    # Validates the dtypes and method, and gives the output dtype.
    dtype = fn(np.zeros(ones, in1.dtype), np.zeros(ones, kernel.dtype), "valid", method=method).dtype
    if in1.size == 0 or kernel.size == 0:
        return da.from_array(fn(np.zeros(in1.shape, in1.dtype), kernel, mode, method=method))
    ks = kernel.shape
    if mode == "valid" and any(k > n for k, n in zip(ks, in1.shape)):
        raise ValueError(f"in2 (shape {ks}) must not be larger than in1 (shape {in1.shape}) along "
                         "any axis in 'valid' mode on dask arrays")
    # Zero padding (before, after) per axis that turns 'full'/'same' into 'valid'.
    pads = [{"full": (k - 1, k - 1), "same": (k - 1 - (k - 1) // 2, (k - 1) // 2),
             "valid": (0, 0)}[mode] for k in ks]
    # Output chunk i (the input's chunk i; the last one grows or shrinks by
    # lo + hi - (k - 1)) reads input chunk i extended by lo before and
    # k - 1 - lo after; a neighbour must hold that much.
    chunks = []
    for c, k in zip(in1.chunks, ks):
        c = _merge_small(c, k - 1)
        if len(c) > 1 and c[0] < k - 1:
            c = (c[0] + c[1],) + c[2:]
        if mode == "valid" and len(c) > 1 and c[-1] < k:  # the last output chunk would be empty
            c = c[:-2] + (c[-2] + c[-1],)
        chunks.append(c)
    x = in1 if tuple(chunks) == in1.chunks else in1.rechunk(tuple(chunks))
    out_chunks = tuple(c[:-1] + (c[-1] + lo + hi - (k - 1),) for c, (lo, hi), k in zip(chunks, pads, ks))
    depth = {ax: ((lo, k - 1 - lo) if len(c) > 1 else 0)
             for ax, (c, (lo, hi), k) in enumerate(zip(chunks, pads, ks))}
    fn = functools.partial(_signal_block, kernel=kernel, pads=pads, convolve=convolve, method=method,
                           workers=workers)
    name = "cyconv-" + ("convolve" if convolve else "correlate") + f"-{mode}"
    return x.map_overlap(fn, depth=depth, boundary="none", trim=False, chunks=out_chunks,
                         dtype=dtype, meta=np.empty((0,) * in1.ndim, dtype), token=name)


def correlate_signal(in1, in2, mode="full", method="auto", *, workers=None):
    """N-d cross-correlation of a dask array with a small kernel, as ``scipy.signal.correlate``.

    Named ``correlate_signal`` so as not to clash with the ndimage-style
    :func:`correlate` of this module.

    Parameters
    ----------
    in1 : dask.array.Array
        The signal.
    in2 : array_like
        The kernel, with ``in1.ndim`` dimensions, small compared with a chunk
        (a dask kernel is computed).
    mode : {'full', 'same', 'valid'}, optional
        As in scipy.signal; in ``valid`` mode ``in2`` must not be larger than
        ``in1`` along any axis (no swapping).
    method : {'auto', 'direct', 'fft', 'winograd'}, optional
        The method of each chunk call (:func:`cyconv.correlate`); ``auto``
        chooses per chunk.
    workers : int, optional
        Threads of each chunk call (see the thread policy).

    Returns
    -------
    dask.array.Array
        Lazy.  Chunks: ``same`` keeps ``in1``'s; ``full`` grows the last chunk
        of each axis by ``k - 1``, ``valid`` shrinks it by ``k - 1``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(9.0).reshape(3, 3), chunks=2)
    >>> cd.correlate_signal(x, np.array([[0.0, 1.0], [2.0, 3.0]]), mode="valid").compute()
    array([[19., 25.],
           [37., 43.]])
    """
    return _signal(in1, in2, mode, method, workers, convolve=False)


def convolve_signal(in1, in2, mode="full", method="auto", *, workers=None):
    """N-d convolution of a dask array with a small kernel, as ``scipy.signal.convolve``.

    Parameters as :func:`correlate_signal`.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(5.0), chunks=2)
    >>> cd.convolve_signal(x, np.array([1.0, 1.0])).compute()
    array([0., 1., 3., 5., 7., 4.])
    """
    return _signal(in1, in2, mode, method, workers, convolve=True)


def fftconvolve(in1, in2, mode="full", *, workers=None):
    """N-d convolution through FFTs, chunk by chunk, as ``scipy.signal.fftconvolve``.

    :func:`convolve_signal` with ``method='fft'``; parameters as there.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from cyconv import dask as cd
    >>> x = da.from_array(np.arange(5.0), chunks=2)
    >>> np.round(cd.fftconvolve(x, np.array([1.0, 1.0]), mode="same").compute(), 12)
    array([0., 1., 3., 5., 7.])
    """
    return _signal(in1, in2, mode, "fft", workers, convolve=True)
