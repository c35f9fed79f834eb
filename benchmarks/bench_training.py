"""Benchmark: labels, Jacobians and training steps of the EKF and Adam with the default network.

Default network: the study's symmetry functions (30 O / 27 H, r_c = 12 Bohr)
and 25-25 tanh layers, 2827 weights, on revPBE0-D3 frames (192 atoms). Prints
medians (and quartiles) over repetitions, after warm-up, of

* a 10-component force batch's labels and Jacobian in closed form, alone, in its two
  parts: the geometry (∂G/∂x of the drawn atoms from the cached neighbour list,
  :mod:`nnp_tutorial.descriptors.derivatives`; weight-independent, computed ahead in a
  thread by ``Trainer.run(prefetch=True)``) and the networks
  (:mod:`nnp_tutorial.network_derivatives`); and Adam's gradient 2 Jᵀ ξ (the network part
  as one vector–Jacobian product);
* the same labels and Jacobian through the TensorFlow graph (the oracle), with
  ``--graph``;
* EKF and Adam steps (``Trainer.train_step``: labels, derivatives, update) for energy
  and force batches, geometry included, and ``Trainer.run(prefetch=True)`` per update
  over a stretch of the real schedule (one energy batch in ten);
* the filter update alone: full covariance, per-element blocks, float32,

next to a floor measured in the same process: one read and one write pass over
a float64 array as large as P (``np.copyto``). The floor and the timings whose
ratios form budgets are timed in turn, one call of each per round, so that the
ratios compare calls made at the same machine speed. Everything runs with one
BLAS thread, as :meth:`Trainer.run` does (see there why).

Budgets (ratios in one run): full EKF update <= 2.5x floor; per-element update
<= 0.6x full; Adam energy step <= 5 ms; labels + Jacobian of a force batch <= 0.3x
floor; EKF force step <= 1.6x the EKF update alone; Adam force step <= 0.5x floor.

Run: ``python benchmarks/bench_training.py [--repeats 30] [--graph]`` (reads published
data from ``$NNP_TUTORIAL_DATA`` or downloads it).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nnp_tutorial import datasets
from nnp_tutorial.timing import interleaved_median_ms
from nnp_tutorial.training import KalmanFilter, LabelFunctions, Trainer, TrainingConfig, default_descriptor


def steps_of_kind(trainer: Trainer, kind: str, count: int) -> list[int]:
    """The first ``count`` schedule steps drawing labels of ``kind``."""
    found, step = [], 0
    while len(found) < count:
        if trainer.schedule.draw(step).kind == kind:
            found.append(step)
        step += 1
    return found


def cycling(trainer: Trainer, steps: list[int]):
    """A function running ``train_step`` on the next of ``steps`` (cycling), for the timer."""
    state = {"k": 0}

    def one_step() -> None:
        trainer.step = steps[state["k"] % len(steps)]
        state["k"] += 1
        trainer.train_step()

    return one_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--frames", type=int, default=40, help="structures in the benchmark's data set")
    parser.add_argument("--run-steps", type=int, default=300, help="updates of the prefetching runs")
    parser.add_argument("--graph", action="store_true", help="also time the TensorFlow graph's labels")
    args = parser.parse_args()

    structures = datasets.load_structures("revpbe0-d3", index=slice(0, None, 1593 // args.frames))
    descriptor = default_descriptor()
    trainers = {
        opt: Trainer(structures, TrainingConfig(optimizer=opt, learning_rate=lr), descriptor, progress=False)
        for opt, lr in (("ekf", 1e-3), ("adam", 1e-4))
    }
    ekf, adam = trainers["ekf"], trainers["adam"]
    force_steps = steps_of_kind(ekf, "force", args.repeats + 10)
    energy_steps = steps_of_kind(ekf, "energy", args.repeats + 10)
    for step in force_steps:  # every drawn structure's neighbour list in the cache, as in a long run
        ekf.cache.pairs(ekf.schedule.draw(step).frame)
        adam.cache.pairs(adam.schedule.draw(step).frame)
    batches = [ekf.schedule.draw(s) for s in force_steps]
    labels, cache = ekf.labels, ekf.cache
    state = {"k": 0}

    def next_batch():
        batch = batches[state["k"] % len(batches)]
        state["k"] += 1
        return batch, cache.structures[batch.frame]

    def geometry() -> None:
        batch, atoms = next_batch()
        labels.prepare(atoms, batch.components, cache.pairs(batch.frame))

    prepared = [
        labels.prepare(cache.structures[b.frame], b.components, cache.pairs(b.frame)) for b in batches
    ]

    def network_part(vjp: bool):
        def run() -> None:
            k = state["k"] % len(batches)
            state["k"] += 1
            batch = batches[k]
            lin = labels.force_linearization(cache[batch.frame], None, batch.components, prepared[k])
            lin.vjp(lin.values) if vjp else lin.jacobian()

        return run

    def labels_and_jacobian() -> None:
        batch, atoms = next_batch()
        labels.force_linearization(
            cache[batch.frame],
            atoms,
            batch.components,
            labels.prepare(atoms, batch.components, cache.pairs(batch.frame)),
        ).jacobian()

    n = ekf.model.n_weights
    rng = np.random.default_rng(0)
    source, target = rng.random(n * n), np.empty(n * n)
    J, xi = rng.normal(size=(10, n)) * 0.1, rng.normal(size=10) * 0.1
    elements = [ekf.model.element_slice(e) for e in ekf.model.elements]
    filters = {
        "EKF update alone, full P (float64)": KalmanFilter(n, eta=1e-3),
        "EKF update alone, per-element blocks": KalmanFilter(n, eta=1e-3, blocks=elements),
        "EKF update alone, full P (float32)": KalmanFilter(n, eta=1e-3, dtype="float32"),
    }
    floor_name = f"floor: read+write pass over P ({n}x{n} float64)"
    timed = {
        "force labels + Jacobian (10 components), closed form": labels_and_jacobian,
        "  geometry: dG/dx of the drawn atoms (prefetched)": geometry,
        "  networks: values and Jacobian": network_part(False),
        "  networks: values and 2 J^T xi (Adam)": network_part(True),
        "EKF force step (train_step)": cycling(ekf, force_steps),
        "EKF energy step (train_step)": cycling(ekf, energy_steps),
        "Adam force step (train_step)": cycling(adam, force_steps),
        "Adam energy step (train_step)": cycling(adam, energy_steps),
        **{name: (lambda kf=kf: kf.update(J, xi)) for name, kf in filters.items()},
        floor_name: lambda: np.copyto(target, source),
    }
    if args.graph:
        graph = LabelFunctions(ekf.model, "graph")

        def graph_labels() -> None:
            batch, atoms = next_batch()
            graph.forces(cache[batch.frame], atoms, batch.components)

        for _ in range(10):  # compile the shapes of these batches
            graph_labels()
        timed["force labels + Jacobian, TensorFlow graph"] = graph_labels
    results = interleaved_median_ms(timed, args.repeats, warmup=3)

    for name, trainer in trainers.items():  # the real loop: prefetching, mixed batches
        trainer.restart(steps=args.run_steps)
        start = time.perf_counter()
        trainer.run(prefetch=True)
        per_update = 1000 * (time.perf_counter() - start) / args.run_steps
        results[f"{name.upper()} Trainer.run(prefetch=True), per update (mixed)"] = (
            per_update,
            per_update,
            per_update,
        )

    floor = results[floor_name][0]
    print(f"\ndefault network: {n} weights; {len(structures)} revPBE0-D3 structures; {args.repeats} repeats")
    for name, (med, q1, q3) in results.items():
        print(f"  {name:62s} {med:8.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor:5.2f} x floor")
    full = results["EKF update alone, full P (float64)"][0]
    blocks = results["EKF update alone, per-element blocks"][0]
    value = {name: r[0] for name, r in results.items()}
    print(f"\n  per-element / full update:            {blocks / full:.2f} (budget <= 0.6)")
    print(f"  full update / floor:                  {full / floor:.2f} (budget <= 2.5)")
    labels_ratio = value["force labels + Jacobian (10 components), closed form"] / floor
    print(f"  force labels + Jacobian / floor:      {labels_ratio:.2f} (budget <= 0.3)")
    network_ratio = value["  networks: values and Jacobian"] / floor
    print(f"    of which the networks / floor:      {network_ratio:.2f}")
    print(
        f"  EKF force step / EKF update alone:    {value['EKF force step (train_step)'] / full:.2f}"
        " (budget <= 1.6)"
    )
    print(
        f"  Adam force step / floor:              {value['Adam force step (train_step)'] / floor:.2f}"
        " (budget <= 0.5)"
    )
    print(
        f"  Adam energy step:                     {value['Adam energy step (train_step)']:.2f} ms"
        " (budget <= 5)"
    )
    print(
        "\npeer (n2p2 v2.3.0, same machine): Kalman update alone 11.6 ms; "
        "training update incl. Jacobian 13 ms (energy), 71 ms (force)"
    )


if __name__ == "__main__":
    with threadpool_limits(limits=1, user_api="blas"):
        main()
