"""Benchmark: the Fisher information spectrum of a ~2.8k-weight network (budget < 60 s).

Times what ``nnp-tutorial fisher`` does for one model — ∇_w L1 of ``--batches``
schedule-drawn batches of the revPBE0-D3 data set
(:func:`~nnp_tutorial.fisher.l1_gradients`) and the eigenvalues of ⟨I₁⟩
(:func:`~nnp_tutorial.fisher.fisher_spectrum`) — for the committed EKF-trained
network ``data/results/training/ensemble/ekf_seed0/model`` (25-25 tanh, 2827
weights), with the default 10 000 batches (N > 3 n: full rank), first call included.

Then, on one force batch, medians of the parts of a batch: what a worker thread
prepares during the run (neighbour list, symmetry functions of the structure by the
compiled loops, their derivatives for the drawn atoms) and the L1 gradient (the
closed-form vector–Jacobian product) on the main thread, next to the floor of
``bench_descriptors.py`` measured in the same run (one numpy pass ``exp(x) * y``
over as many float64 numbers as the structure has angular terms).

Run: ``python benchmarks/bench_fisher.py [--batches 10000] [--repeats 30]``
(reads published data from ``$NNP_TUTORIAL_DATA`` or downloads it).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from bench_descriptors import angular_terms  # same floor as the descriptor benchmark

from nnp_tutorial import datasets
from nnp_tutorial.fisher import DEFAULT_BATCHES, fisher_spectrum, l1_gradients
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.timing import median_ms
from nnp_tutorial.training.labels import LabelFunctions
from nnp_tutorial.training.schedule import BatchSchedule

MODEL = Path(__file__).parents[1] / "data/results/training/ensemble/ekf_seed0/model"
BUDGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=DEFAULT_BATCHES, help="batches of the spectrum")
    parser.add_argument("--repeats", type=int, default=30, help="repetitions of each part (medians)")
    args = parser.parse_args()

    structures = datasets.load_structures("revpbe0-d3")
    model = BehlerParrinelloNetwork.from_n2p2(MODEL)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    start = time.perf_counter()
    spectrum = fisher_spectrum(l1_gradients(model, structures, n_batches=args.batches, progress=False))
    total = time.perf_counter() - start
    print(
        f"\nFisher spectrum of {model.n_weights} weights from {args.batches} batches "
        f"({len(structures)} structures): {total:.1f} s (budget {BUDGET_S:g} s); "
        f"{len(spectrum.positive)} nonzero eigenvalues ("
        f"{'full rank' if len(spectrum.positive) == model.n_weights else 'rank-deficient'}), "
        f"largest {spectrum.eigenvalues[-1]:.4g}"
    )

    sfs, labels = model.descriptor, LabelFunctions(model)
    draws = BatchSchedule(np.arange(len(structures)), np.array([len(a) for a in structures]), seed=0)
    batch = next(b for b in map(draws.draw, range(100)) if b.kind == "force")
    atoms = structures[batch.frame]
    reference = atoms.get_forces().ravel()[batch.components]

    def worker():  # what l1_gradients' worker thread prepares for a force batch
        pairs = sfs.pairs(atoms)
        descriptors = list(sfs.compute(atoms, pairs).values())
        return pairs, descriptors, labels.prepare(atoms, batch.components, pairs)

    pairs, descriptors, derivatives = worker()
    n_terms = angular_terms(model, sfs.inputs(pairs))
    x, y = np.random.default_rng(0).random((2, n_terms))
    rows = [
        ("worker thread: neighbour list, G, dG/dx", median_ms(worker, args.repeats)),
        (
            "  of which symmetry functions (numba loops)",
            median_ms(lambda: sfs.compute(atoms, pairs), args.repeats),
        ),
        (
            "L1 gradient of a force batch (closed form)",
            median_ms(
                lambda: labels.force_sign_gradient(
                    descriptors, atoms, batch.components, reference, derivatives
                ),
                args.repeats,
            ),
        ),
        (f"floor: numpy exp(x)*y over {n_terms} terms", median_ms(lambda: np.exp(x) * y, args.repeats)),
    ]
    floor = rows[-1][1][0]
    print(f"\none force batch ({len(atoms)} atoms), warm, median of {args.repeats}:")
    for name, (med, q1, q3) in rows:
        print(f"  {name:46s} {med:8.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor:6.1f} x floor")
    steady = args.batches * max(rows[0][1][0], rows[2][1][0]) / 1000
    print(
        f"  => {args.batches} batches x the slower of worker and gradient = {steady:.1f} s; the other "
        f"{total - steady:.1f} s of the run are energy batches, the eigenvalues and "
        "what the two threads do not overlap"
    )


if __name__ == "__main__":
    main()
