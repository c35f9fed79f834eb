"""Training BPNNs: loss and batch schedule, Adam and the extended Kalman filter, the trainer.

Each name is loaded from its module on first use (PEP 562), so that
``from nnp_tutorial.training import TrainingConfig`` (the command line's parser) does not
import TensorFlow, which the trainer and the label functions need.
"""

from ..lazy import lazy_exports as _lazy_exports

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
    "batch_losses": "schedule",
    "batch_xi": "schedule",
    "default_descriptor": "trainer",
    "l1_loss": "schedule",
    "l2_loss": "schedule",
    "scaled_errors": "schedule",
    "split_frames": "trainer",
}

__all__ = sorted(_API)

__getattr__, __dir__ = _lazy_exports(__name__, _API)
