import os
import pathlib

import cyconv

# The suite must test the installed package, never the uncompiled source tree.
_src = pathlib.Path(__file__).resolve().parent.parent / "cyconv"
if pathlib.Path(cyconv.__file__).resolve().parent == _src and not os.environ.get("CYCONV_ALLOW_INPLACE"):
    raise RuntimeError(
        "tests imported cyconv from the source tree; install it (pip install .) and run "
        "pytest from the repository root, or set CYCONV_ALLOW_INPLACE=1 for an in-place build"
    )
