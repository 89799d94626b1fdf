"""pytest plugin: scipy.ndimage's own filter tests, run against cyconv.ndimage.

Loaded with ``-p scipy_ndimage_shim`` by tests/test_ndimage_scipy_suite.py: it
puts the functions cyconv.ndimage offers into the ``scipy.ndimage`` namespace
that scipy's tests call (and into scipy's table of array-API capabilities,
which its test decorators look functions up in), so each of those tests
exercises cyconv.
"""
import scipy.ndimage
from scipy._lib import _array_api

import cyconv.ndimage


def pytest_configure(config):
    table = _array_api.xp_capabilities_table
    for name in cyconv.ndimage.__all__:
        ours, theirs = getattr(cyconv.ndimage, name), getattr(scipy.ndimage, name)
        if theirs in table:
            table[ours] = table[theirs]
        setattr(scipy.ndimage, name, ours)
