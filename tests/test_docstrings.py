"""The numpydoc examples of the public API run and print what they claim."""
import doctest

import numpy as np
import pytest

import cyconv
from cyconv import ndimage

PUBLIC = [cyconv.correlate, cyconv.convolve, cyconv.correlate2d, cyconv.convolve2d,
          cyconv.fftconvolve, cyconv.oaconvolve, cyconv.correlation_lags,
          cyconv.choose_conv_method, cyconv, ndimage] + [getattr(ndimage, n) for n in ndimage.__all__]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda o: getattr(o, "__name__", str(o)))
def test_docstring_examples(obj):
    doc = obj.__doc__
    assert doc and ">>>" in doc, f"{obj} has no runnable example"
    parser = doctest.DocTestParser()
    test = parser.get_doctest(doc, {"np": np, "cyconv": cyconv}, getattr(obj, "__name__", "doc"),
                              None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 0
