"""Import TensorFlow without its C++ start-up notes on stderr.

``nnp_tutorial/__init__.py`` sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the user
set it), which silences TensorFlow's C++ info and warning lines such as
``cpu_feature_guard ... This TensorFlow binary is optimized ...``,
``XLA service ... initialized`` and ``Compiled cluster using XLA``.
TensorFlow 2.21 still prints two notes while its shared libraries load, before
that setting is read, each once per library (so twice)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... port.cc:153] oneDNN custom operations are on. ...

Neither level 2 nor 3 removes them, and ``TF_ENABLE_ONEDNN_OPTS=0`` would
change the numerics. :func:`import_quietly` therefore imports TensorFlow with
file descriptor 2 redirected to a temporary file and writes back every line
except these known notes, so real warnings and errors during the import still
reach stderr. The command line calls it first; library users who import
TensorFlow themselves see the two notes once.

A second kind of noise comes from Python: after a few traces of one
``tf.function`` TensorFlow warns that it "triggered tf.function retracing"
and suggests a bug. The compiled functions of this package are traced once
per composition and padded shape on purpose (``ShapeBuckets``), so a data
set with several compositions triggers the warning in correct use.
:class:`ExpectedRetracing`, installed on the ``tensorflow`` logger when the
package is imported, drops that warning for this package's functions only.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from types import ModuleType

#: Lines printed while TensorFlow loads that carry no information for a user.
_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:.]+\s+\d+ \S+\] (?:oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized).*"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
)


#: Classes whose compiled methods are retraced per composition and padded shape by design.
_OWN_FUNCTIONS = re.compile(r"\b(?:Architecture|SymmetryFunctionSet|LabelGraphs)\.")


class ExpectedRetracing(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning for this package's functions."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and _OWN_FUNCTIONS.search(message))


def is_noise(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's start-up notes removed by :func:`import_quietly`."""
    return _NOISE.fullmatch(line.rstrip("\r\n")) is not None


def import_quietly() -> ModuleType:
    """``import tensorflow`` with its start-up notes removed from stderr.

    Does nothing special when TensorFlow is already imported, when the user
    asked for TensorFlow's info lines (``TF_CPP_MIN_LOG_LEVEL=0``) or when file
    descriptor 2 cannot be redirected.

    Returns
    -------
    module
        ``tensorflow``.
    """
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") in ("", "0"):
        import tensorflow

        return tensorflow
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        import tensorflow

        return tensorflow
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            kept = "".join(line for line in text.splitlines(keepends=True) if not is_noise(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
    return tensorflow
