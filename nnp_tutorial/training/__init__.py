"""Training BPNNs: loss and batch schedule, Adam and the extended Kalman filter, the trainer.

Each name is loaded from its module on first use (PEP 562), so that
``from nnp_tutorial.training import TrainingConfig`` (the command line's parser) does not
import TensorFlow, which the trainer and the label functions need.
"""

import importlib as _importlib

#: public name -> the module of this package that defines it
_API = {
    "AdamOptimizer": "optimizers",
    "Batch": "schedule",
    "BatchSchedule": "schedule",
    "DescriptorCache": "labels",
    "EtaSchedule": "kalman",
    "FilterDiverged": "kalman",
    "KalmanFilter": "kalman",
    "KalmanOptimizer": "optimizers",
    "LabelFunctions": "labels",
    "Trainer": "trainer",
    "TrainingConfig": "config",
    "batch_errors": "labels",
    "default_descriptor": "trainer",
    "l1_loss": "schedule",
    "l2_loss": "schedule",
    "scaled_errors": "schedule",
    "split_frames": "trainer",
}

__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        value = getattr(_importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
