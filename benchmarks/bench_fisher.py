"""Benchmark: the Fisher information spectrum of a ~2.8k-weight network (budget < 60 s).

Times what ``nnp-tutorial fisher`` does for one model — ∇_w L1 of ``--batches``
schedule-drawn batches of the revPBE0-D3 data set
(:func:`~nnp_tutorial.fisher.l1_gradients`) and the eigenvalues of ⟨I₁⟩
(:func:`~nnp_tutorial.fisher.fisher_spectrum`) — for the committed EKF-trained
network ``data/results/training/ensemble/ekf_seed0/model`` (25-25 tanh, 2827
weights), with the default 10 000 batches (N > 3 n: full rank), first call included.

Then, on one force batch, medians of the parts of the run: what the two worker threads
prepare (once per structure: its neighbour list and symmetry functions by the compiled
loops, then kept; per force batch: the derivatives for the drawn atoms) and the L1
gradient (the closed-form vector–Jacobian product) on the main thread, next to the floor of
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
    gradients = l1_gradients(model, structures, n_batches=args.batches, progress=False)
    middle = time.perf_counter()
    spectrum = fisher_spectrum(gradients)
    total, eigenvalues = time.perf_counter() - start, time.perf_counter() - middle
    print(
        f"\nFisher spectrum of {model.n_weights} weights from {args.batches} batches "
        f"({len(structures)} structures): {total:.1f} s (budget {BUDGET_S:g} s); "
        f"rank {len(spectrum.positive)} of {model.n_weights} (eigenvalues above the round-off level; "
        "a fixed composition leaves one direction flat), "
        f"largest {spectrum.eigenvalues[-1]:.4g}; of which the eigenvalues (SVD of G) {eigenvalues:.1f} s"
    )

    sfs, labels = model.descriptor, LabelFunctions(model)
    draws = BatchSchedule(np.arange(len(structures)), np.array([len(a) for a in structures]), seed=0)
    batch = next(b for b in map(draws.draw, range(100)) if b.kind == "force")
    atoms = structures[batch.frame]
    reference = atoms.get_forces().ravel()[batch.components]

    def first_visit():  # what the worker threads do once per structure (then kept)
        pairs = sfs.pairs(atoms)
        return pairs, list(sfs.compute(atoms, pairs).values())

    pairs, descriptors = first_visit()
    derivatives = labels.prepare(atoms, batch.components, pairs)
    n_terms = angular_terms(model, sfs.graph.inputs(pairs))
    x, y = np.random.default_rng(0).random((2, n_terms))
    rows = [
        ("first visit of a structure: neighbour list and G", median_ms(first_visit, args.repeats)),
        (
            "each force batch, worker: dG/dx of the drawn atoms",
            median_ms(lambda: labels.prepare(atoms, batch.components, pairs), args.repeats),
        ),
        (
            "each force batch, main thread: L1 gradient",
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
        print(f"  {name:52s} {med:8.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor:6.1f} x floor")
    visits, worker, gradient = (rows[k][1][0] / 1000 for k in range(3))
    cpu = len(structures) * visits + args.batches * (worker + gradient)
    print(
        f"  => CPU time of the parts: {len(structures)} first visits + {args.batches} force batches "
        f"(worker + main) = {cpu:.1f} s, {cpu / 2:.1f} s on two cores if perfectly overlapped; "
        f"the run took {total:.1f} s (energy batches, the eigenvalues and imperfect overlap)"
    )


if __name__ == "__main__":
    main()
