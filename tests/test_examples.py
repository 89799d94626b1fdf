import numpy as np

import cyconv


def test_worked_example():
    X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    K = np.array([[0, 1], [2, 3]])
    out = cyconv.correlate(X, K, mode="valid")
    np.testing.assert_array_equal(out, [[19, 25], [37, 43]])
    assert out.dtype == np.result_type(X, K)


def test_vertical_edge():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    K = np.array([[1.0, -1.0]])
    expected = np.zeros((6, 7))
    expected[:, 1] = 1
    expected[:, 5] = -1
    np.testing.assert_array_equal(cyconv.correlate(X, K, "valid"), expected)
    np.testing.assert_array_equal(cyconv.correlate2d(X, K, "valid"), expected)
    np.testing.assert_array_equal(cyconv.correlate(X.T, K, "valid"), np.zeros((8, 5)))


def test_demo_runs(capsys):
    from cyconv.__main__ import main
    assert main(["demo"]) == 0
    assert "all examples match" in capsys.readouterr().out
