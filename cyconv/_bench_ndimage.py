"""The cyconv.ndimage workloads of ``python -m cyconv bench`` (F1-F5).

Each workload builds its data once and names cyconv's call and every
installed peer's call of the same filter with the same boundary: scipy.ndimage,
OpenCV (``GaussianBlur``, ``blur``, ``Sobel``, ``filter2D`` with
``BORDER_REFLECT``, which is scipy's 'reflect'), and torch where it applies.
:func:`cyconv._bench.run` checks every peer's answer against cyconv's and times
them all in interleaved rounds.
"""

import importlib

import numpy as np

from cyconv import ndimage

# id: (description, input shape, dtype, multiply-adds per output)
WORKLOADS = {
    "F1": ("gaussian_filter s=2 2048^2 f32", (2048, 2048), np.float32, 2 * 17),
    "F2": ("gaussian_filter s=2 256^3 f32", (256, 256, 256), np.float32, 3 * 17),
    "F3": ("uniform_filter 5 256^3 u16", (256, 256, 256), np.uint16, 3 * 5),
    "F4": ("correlate 5x5 reflect 2048^2 f32", (2048, 2048), np.float32, 25),
    "F5": ("sobel 2048^2 f32", (2048, 2048), np.float32, 6),
}


def _optional(name):
    return importlib.import_module(name)


def make(wid, rng, threads):
    """(cyconv's callable, {peer name: callable}, data, answer tolerance) for a workload."""
    _, shape, dtype, _ = WORKLOADS[wid]
    if np.dtype(dtype).kind == "u":
        x = rng.integers(0, 65536, shape).astype(dtype)
    else:
        x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((5, 5)).astype(np.float32)
    ours = {"F1": lambda: ndimage.gaussian_filter(x, 2.0, workers=threads),
            "F2": lambda: ndimage.gaussian_filter(x, 2.0, workers=threads),
            "F3": lambda: ndimage.uniform_filter(x, 5, workers=threads),
            "F4": lambda: ndimage.correlate(x, k, workers=threads),
            "F5": lambda: ndimage.sobel(x, axis=-1, workers=threads)}[wid]
    peers = {}
    try:
        nd = _optional("scipy.ndimage")
        peers["scipy.ndimage"] = {"F1": lambda: nd.gaussian_filter(x, 2.0),
                                  "F2": lambda: nd.gaussian_filter(x, 2.0),
                                  "F3": lambda: nd.uniform_filter(x, 5),
                                  "F4": lambda: nd.correlate(x, k),
                                  "F5": lambda: nd.sobel(x, axis=-1)}[wid]
    except ImportError:
        pass
    try:
        cv2 = _optional("cv2")
        cv2.setNumThreads(threads)
        border = cv2.BORDER_REFLECT  # fedcba|abcdefgh|hgfedcb: scipy's 'reflect'
        cv_peer = {
            "F1": ("OpenCV GaussianBlur", lambda: cv2.GaussianBlur(x, (17, 17), 2.0, sigmaY=2.0,
                                                                 borderType=border)),
            "F4": ("OpenCV filter2D", lambda: cv2.filter2D(x, -1, k, borderType=border)),
            "F5": ("OpenCV Sobel", lambda: cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=3,
                                                     borderType=border)),
        }.get(wid)
        if cv_peer:
            peers[cv_peer[0]] = cv_peer[1]
    except ImportError:
        pass
    tol = 0 if np.dtype(dtype).kind == "u" else 1e-4
    return ours, peers, x, tol
