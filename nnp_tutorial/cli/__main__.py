"""``python -m nnp_tutorial.cli``: the ``nnp-tutorial`` program."""

import sys

from . import main

if __name__ == "__main__":  # not when a test imports every module
    sys.exit(main())
