"""Training BPNNs: loss and batch schedule, Adam and the extended Kalman filter, the trainer."""

from .kalman import EtaSchedule, FilterDiverged, KalmanFilter
from .labels import DescriptorCache, LabelFunctions, batch_errors
from .optimizers import AdamOptimizer, KalmanOptimizer
from .schedule import Batch, BatchSchedule, l1_loss, l2_loss, scaled_errors
from .trainer import Trainer, TrainingConfig, default_descriptor, split_frames

__all__ = [
    "AdamOptimizer",
    "Batch",
    "BatchSchedule",
    "DescriptorCache",
    "EtaSchedule",
    "FilterDiverged",
    "KalmanFilter",
    "KalmanOptimizer",
    "LabelFunctions",
    "Trainer",
    "TrainingConfig",
    "batch_errors",
    "default_descriptor",
    "l1_loss",
    "l2_loss",
    "scaled_errors",
    "split_frames",
]
