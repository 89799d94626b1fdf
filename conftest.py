"""Repository-root pytest hook: the tests import the installed cyconv, never this tree.

``python -m pytest`` (the README's test command) puts the current directory
first on ``sys.path``; from the repository root that is the uncompiled
``./cyconv`` package, which shadows the installed one and fails to import.
Drop it before ``tests/conftest.py`` imports cyconv.  An in-place build
(``CYCONV_ALLOW_INPLACE=1``) keeps it.
"""

import os
import sys

if not os.environ.get("CYCONV_ALLOW_INPLACE"):
    _root = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _root]
