"""Importing cyconv from its own source checkout.

Run from the repository root, ``python -m cyconv demo`` (the README's main
command, after ``python -m pip install .``) finds the source folder
``./cyconv`` before the installed package, because Python puts the current
directory first on ``sys.path``.  The source folder has no compiled modules,
so the import would fail.  ``cyconv/__init__.py`` asks :func:`installed_instead`
for the installed package in that case and hands Python that module instead;
a source tree built in place (``setup.py build_ext --inplace``, editable
installs) has its compiled modules and is used as it is.
"""

import importlib.machinery
import importlib.util
import os
import sys


def is_built(package_dir):
    """True when ``package_dir`` holds cyconv's compiled kernels."""
    return importlib.machinery.PathFinder.find_spec("_kernels", [package_dir]) is not None


def installed_instead(package_dir):
    """Load and return the installed cyconv, or raise a clear ImportError.

    ``package_dir`` is the unbuilt source folder being imported; every
    ``sys.path`` entry that resolves to its parent is skipped in the search.
    """
    root = os.path.dirname(package_dir)
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != root]
    spec = importlib.machinery.PathFinder.find_spec("cyconv", others)
    if spec is None or not spec.submodule_search_locations or not any(
            is_built(d) for d in spec.submodule_search_locations):
        raise ImportError(
            f"cyconv is being imported from its source folder {package_dir}, which has no "
            "compiled modules, and no installed cyconv was found: install it with "
            "'python -m pip install .' (or build in place: 'python setup.py build_ext "
            "--inplace')")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cyconv"] = module  # what the importer returns, and what submodules see
    spec.loader.exec_module(module)
    return module
