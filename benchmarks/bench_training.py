"""Benchmark: one training step of the EKF and of Adam with the default network.

Default network: the study's symmetry functions (30 O / 27 H, r_c = 12 Bohr)
and 25-25 tanh layers, 2827 weights. Prints medians (and quartiles) over
repetitions, after warm-up (every XLA shape compiled), of

* an EKF energy step and an EKF force step (label prediction, Jacobian, filter
  update; full covariance, float64),
* the filter update alone: full covariance, per-element blocks, float32,
* an Adam step (label, gradient, update) for energy and force labels,

next to a floor measured in the same process: one read and one write pass over
a float64 array as large as P (``np.copyto``). The filter updates and the floor
are timed in turn, one call of each per round, so that the ratios compare
calls made at the same machine speed. Everything runs with one BLAS
thread, as :meth:`Trainer.run` does (see there why).

Budgets (2-core machine): full EKF update <= 2.5x floor; per-element update
<= 0.6x full; Adam step <= 5 ms.

Run: ``python benchmarks/bench_training.py [--repeats 30]`` (reads published
data from ``$NNP_TUTORIAL_DATA`` or downloads it).
"""

from __future__ import annotations

import argparse

import numpy as np
from threadpoolctl import threadpool_limits

from nnp_tutorial import datasets
from nnp_tutorial.timing import interleaved_median_ms, median_ms
from nnp_tutorial.training import KalmanFilter, Trainer, TrainingConfig, default_descriptor


def steps_of_kind(trainer: Trainer, kind: str, count: int) -> list[int]:
    """The first ``count`` schedule steps drawing labels of ``kind``."""
    found, step = [], 0
    while len(found) < count:
        if trainer.schedule.draw(step).kind == kind:
            found.append(step)
        step += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--frames", type=int, default=40, help="structures in the benchmark's data set")
    args = parser.parse_args()

    structures = datasets.load_structures("revpbe0-d3", index=slice(0, None, 1593 // args.frames))
    descriptor = default_descriptor()
    results = []
    for optimizer, lr in (("ekf", 1e-3), ("adam", 1e-4)):
        trainer = Trainer(
            structures, TrainingConfig(optimizer=optimizer, learning_rate=lr), descriptor, progress=False
        )
        for kind in ("energy", "force"):
            drawn = steps_of_kind(trainer, kind, args.repeats + 60)
            for step in drawn[:50]:  # warm-up: compile the shape buckets of these draws
                trainer.step = step
                trainer.train_step()
            steps = iter(drawn[50:])

            def one_step(steps=steps, trainer=trainer) -> None:
                trainer.step = next(steps)
                trainer.train_step()

            name = f"{optimizer} {kind} step (label, Jacobian, update)"
            results.append((name, median_ms(one_step, args.repeats, warmup=2)))
    n = trainer.model.n_weights
    rng = np.random.default_rng(0)
    source, target = rng.random(n * n), np.empty(n * n)
    J, xi = rng.normal(size=(10, n)) * 0.1, rng.normal(size=10) * 0.1
    elements = [trainer.model.element_slice(e) for e in trainer.model.elements]
    filters = {
        "EKF update alone, full P (float64)": KalmanFilter(n, eta=1e-3),
        "EKF update alone, per-element blocks": KalmanFilter(n, eta=1e-3, blocks=elements),
        "EKF update alone, full P (float32)": KalmanFilter(n, eta=1e-3, dtype="float32"),
    }
    timed = {name: (lambda kf=kf: kf.update(J, xi)) for name, kf in filters.items()}
    floor_name = f"floor: read+write pass over P ({n}x{n} float64)"
    timed[floor_name] = lambda: np.copyto(target, source)
    results += interleaved_median_ms(timed, args.repeats).items()  # the budgets are ratios of these
    floor = dict(results)[floor_name]

    print(f"\ndefault network: {n} weights; {len(structures)} revPBE0-D3 structures; {args.repeats} repeats")
    for name, (med, q1, q3) in results:
        print(f"  {name:52s} {med:8.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor[0]:5.2f} x floor")
    full = dict(results)["EKF update alone, full P (float64)"][0]
    blocks = dict(results)["EKF update alone, per-element blocks"][0]
    print(f"\n  per-element / full update: {blocks / full:.2f} (budget <= 0.6)")
    print(f"  full update / floor:       {full / floor[0]:.2f} (budget <= 2.5)")
    print(
        "\npeer (n2p2 v2.3.0, same machine): Kalman update alone 11.6 ms; "
        "training update incl. Jacobian 13 ms (energy), 71 ms (force)"
    )


if __name__ == "__main__":
    with threadpool_limits(limits=1, user_api="blas"):
        main()
