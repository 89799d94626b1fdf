"""scipy's own tests of fftconvolve, oaconvolve and correlation_lags, run on cyconv.

The classes come from the installed scipy's
``scipy/signal/tests/test_signaltools.py`` (scipy installs its tests; the
file is loaded here as a fresh module, never copied), and the names they
call are pointed at cyconv's functions:

* ``TestFFTConvolve`` and ``TestAllFreqConvolves`` (axes rules, error
  messages) test ``cyconv.fftconvolve`` / ``cyconv.oaconvolve``;
* ``TestOAConvolve`` tests ``cyconv.oaconvolve`` against scipy's own
  ``fftconvolve`` (its oracle there), loaded in a second copy;
* ``test_correlation_lags*`` test ``cyconv.correlation_lags`` together with
  ``cyconv.correlate``.

One deliberate difference is checked as such: scipy's 'same' mode cuts a
broadcast batch axis back to in1's length (scipy#21876), cyconv does not,
so those parametrizations of ``TestOAConvolve`` must fail scipy's
comparison (see ``_same_mode_batch_deviation``).

Also ``test_convolve_longdtype_input`` and ``test_choose_conv_method_2``
(long double); left out: the tests of other functions in that file.  A scipy without the
test file (some distributions strip it) skips this module, stating why; the
differential tests in test_freq.py cover the same functions either way.
"""

import functools
import importlib.util
import pathlib

import numpy as np
import pytest
import scipy.signal

import cyconv

_PATH = pathlib.Path(scipy.signal.__file__).parent / "tests" / "test_signaltools.py"
if not _PATH.exists():
    pytest.skip(f"scipy's test file is not installed ({_PATH})", allow_module_level=True)


def _load(name, **replace):
    """A fresh copy of scipy's test module with some of its globals replaced."""
    spec = importlib.util.spec_from_file_location(f"_scipy_signaltools_{name}", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attr, value in replace.items():
        assert hasattr(module, attr), attr
        setattr(module, attr, value)
    return module


_ours = _load("cyconv", fftconvolve=cyconv.fftconvolve, oaconvolve=cyconv.oaconvolve,
              correlation_lags=cyconv.correlation_lags, correlate=cyconv.correlate,
              convolve=cyconv.convolve, choose_conv_method=cyconv.choose_conv_method)
# oaconvolve's tests compute their expected answers with fftconvolve: scipy's here
_oa = _load("cyconv_oa", oaconvolve=cyconv.oaconvolve)


@pytest.fixture
def xp():
    """scipy's array-namespace fixture: only numpy here."""
    return np


def _methods(cls):
    return {name: fn for name, fn in vars(cls).items() if name.startswith("test_")}


def _same_mode_batch_deviation(test):
    """scipy's test, where cyconv deliberately differs: the answer must differ.

    In 'same' mode with a batch (non-``axes``) axis where in1 has length 1
    and in2 length 3, scipy 1.17 returns length 1 there (scipy#21876) and
    cyconv the broadcast length 3 -- so scipy's comparison must fail
    (it broadcasts scipy's one element against cyconv's three; the middle
    one agrees).  test_freq.py checks cyconv's values there.
    """
    @functools.wraps(test)
    def wrapper(self, *args, **kwargs):
        if (kwargs["mode"], kwargs["shape_a_extra"], kwargs["shape_b_extra"]) == ("same", 1, 3):
            with pytest.raises(AssertionError, match="Mismatched elements"):
                test(self, *args, **kwargs)
        else:
            test(self, *args, **kwargs)
    return wrapper


TestFFTConvolve = _ours.TestFFTConvolve
TestOAConvolve = type("TestOAConvolve", (), {
    name: _same_mode_batch_deviation(fn) if name in ("test_1d_axes", "test_2d_axes") else fn
    for name, fn in _methods(_oa.TestOAConvolve).items()})
# scipy parametrizes this class over its own two functions when it is defined;
# the same test bodies, parametrized over ours
TestAllFreqConvolves = pytest.mark.parametrize(
    "convapproach", [cyconv.fftconvolve, cyconv.oaconvolve], ids=["fftconvolve", "oaconvolve"],
)(type("TestAllFreqConvolves", (), _methods(_ours.TestAllFreqConvolves)))
test_correlation_lags = _ours.test_correlation_lags
test_correlation_lags_invalid_mode = _ours.test_correlation_lags_invalid_mode
# long double: computed by the direct kernels; fftconvolve runs its FFT in float64
test_convolve_longdtype_input = _ours.test_convolve_longdtype_input
test_choose_conv_method_2 = _ours.test_choose_conv_method_2


def test_the_names_point_at_cyconv():
    """The shim really runs cyconv (and TestOAConvolve's oracle is scipy's)."""
    assert _ours.fftconvolve is cyconv.fftconvolve and _ours.oaconvolve is cyconv.oaconvolve
    assert _ours.correlation_lags is cyconv.correlation_lags
    assert _oa.oaconvolve is cyconv.oaconvolve and _oa.fftconvolve is scipy.signal.fftconvolve
