"""Benchmark: MD speed for 64 water molecules (192 atoms) at 0.5 fs, in ns/day.

Starts from frame 0 of the revPBE0-D3 data set with Maxwell–Boltzmann velocities at
300 K and times, as medians (and quartiles) over ``--steps`` consecutive steps after
``--warmup`` steps (which absorb XLA compilations of new array shapes):

* one step of the :func:`~nnp_tutorial.md.run_md` loop in NVT (integrator, stability check,
  and a thermo row + trajectory frame every 20 steps), and one NPT step with
  ``OneForceNPTBerendsen`` next to ASE's ``NPTBerendsen`` (two force evaluations per step);
* its parts: ``model.evaluate`` split into neighbour list (vesin, plain search), and then,
  in float64 (the loops engine, :class:`~nnp_tutorial.descriptors.loops.DescriptorLoops`),
  symmetry functions (pair terms and numba loops), networks and dE/dG (TF/XLA), the
  gradient per pair (numba loops), forces and virial; in float32 (the graph engine),
  triples and index arrays (numba), tensor conversion and the compiled graph (TF/XLA:
  symmetry functions, networks, forces and stress); the neighbour search as the NVT steps
  do it (the calculator's Verlet-cached :class:`~nnp_tutorial.descriptors.neighbors.NeighborSearch`,
  skin 1 Å); the ASE/MD overhead is the step minus ``evaluate``;
* the floor of ``bench_descriptors.py``, measured in the same run: one numpy pass
  ``exp(x) * y`` over as many float64 numbers as the structure has angular terms.

Each in double precision and in single precision (``NNPCalculator(model, dtype="float32")``).
Two networks: the published Cheng et al. potential (20-20 tanh, 2062 weights) and the
default size of the study (25-25 tanh, 2827 weights: Cheng's symmetry functions and
scaling with Xavier-initialised weights, timed on the same kind of steps).

Budget: >= 2 ns/day (<= 21.6 ms per step at 0.5 fs). Run:
``python benchmarks/bench_md.py [--steps 30] [--warmup 40]`` (reads published data from
``$NNP_TUTORIAL_DATA`` or downloads it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from bench_descriptors import angular_terms, loops_parts  # same floor and parts

from nnp_tutorial import datasets
from nnp_tutorial.calculator import NNPCalculator
from nnp_tutorial.descriptors.neighbors import NeighborSearch
from nnp_tutorial.md import StabilityMonitor, make_dynamics, run_md, thermo_row
from nnp_tutorial.md.runs import _thermalize
from nnp_tutorial.model import BehlerParrinelloNetwork
from nnp_tutorial.timing import median_ms

TIMESTEP_FS = 0.5


def ns_per_day(ms_per_step: float) -> float:
    """Simulated ns per wall-clock day at ``TIMESTEP_FS``."""
    return 86400e3 / ms_per_step * TIMESTEP_FS * 1e-6


def timed_steps(step, n: int) -> tuple[float, float, float]:
    """Median and quartiles (ms) of ``n`` consecutive calls of ``step()`` (no warm-up: MD steps run on)."""
    return median_ms(step, n, warmup=0)


def default_size_network(cheng: BehlerParrinelloNetwork) -> BehlerParrinelloNetwork:
    """25-25 tanh networks on Cheng's symmetry functions and scaling (2827 weights, Xavier)."""
    return BehlerParrinelloNetwork(
        cheng.descriptor,
        cheng.scaling,
        hidden_nodes=[25, 25],
        energy_scale=cheng.energy_scale,
        reference_energies=cheng.reference_energies,
        seed=0,
    )


def md_state(model, frame, ensemble: str, dtype: str, *, ase_npt: bool = False):
    """Atoms with thermal velocities and an integrator, warmed up elsewhere."""
    atoms = frame.copy()
    _thermalize(atoms, 300.0, seed=0)
    atoms.calc = NNPCalculator(model, dtype=dtype)
    if ase_npt:
        from ase import units
        from ase.md.nptberendsen import NPTBerendsen

        dyn = NPTBerendsen(
            atoms, TIMESTEP_FS * units.fs, temperature_K=300.0, taut=100 * units.fs,
            taup=1000 * units.fs, pressure_au=units.bar, compressibility_au=4.57e-5 / units.bar,
        )  # fmt: skip
    else:
        dyn = make_dynamics(ensemble, atoms, timestep_fs=TIMESTEP_FS, temperature_K=300.0)
    return atoms, dyn


class TimedSearch(NeighborSearch):
    """A :class:`NeighborSearch` that keeps the wall time of each call (ms)."""

    def __init__(self, skin: float) -> None:
        super().__init__(skin)
        self.times: list[float] = []

    def __call__(self, *args):
        start = time.perf_counter()
        result = super().__call__(*args)
        self.times.append(1000 * (time.perf_counter() - start))
        return result


class TimedModel:
    """Delegates ``evaluate`` to a model and keeps the wall time of the last call (ms)."""

    def __init__(self, model) -> None:
        self.model, self.last_ms = model, 0.0

    def evaluate(self, atoms, **options):
        start = time.perf_counter()
        result = self.model.evaluate(atoms, **options)
        self.last_ms = 1000 * (time.perf_counter() - start)
        return result


def bench_model(label: str, model, frame, steps: int, warmup: int, dtype: str) -> None:
    timed = TimedModel(model)
    atoms, dyn = md_state(timed, frame, "nvt", dtype)
    search = atoms.calc.neighbor_search = TimedSearch(atoms.calc.neighbor_search.skin)
    monitor = StabilityMonitor(300.0)
    dyn.run(warmup)
    search.times.clear()
    overhead = []

    def loop_step():  # what run_md does every step (records every 20 steps are timed apart)
        start = time.perf_counter()
        dyn.step()
        monitor.check(atoms, 0, 0.0)
        overhead.append(1000 * (time.perf_counter() - start) - timed.last_ms)  # same step: robust to load

    rows = [("MD step, NVT (integrator + stability check)", timed_steps(loop_step, steps))]
    cached = tuple(np.percentile(search.times, [50, 25, 75]))  # vesin's part of these steps
    sfs = model.descriptor
    pairs = sfs.pairs(atoms)
    rows += [
        (
            "  model.evaluate (energy, forces, stress)",
            timed_steps(lambda: model.evaluate(atoms, dtype=dtype), steps),
        ),
        ("    neighbour list (vesin)", timed_steps(lambda: sfs.pairs(atoms), steps)),
        (f"    vesin, Verlet-cached (skin {search.skin:g} Å, NVT steps)", cached),
    ]
    if dtype == "float64":  # the loops engine
        rows += [
            ("    " + name, value)
            for name, value in loops_parts(model, pairs, lambda f: timed_steps(f, steps))
        ]
    else:  # the graph engine
        inputs = sfs.graph.padded(sfs.graph.inputs(pairs))
        tensors = inputs.tensors(tf.as_dtype(dtype))
        rows += [
            (
                "    triples and index arrays (numba)",
                timed_steps(lambda: sfs.graph.padded(sfs.graph.inputs(pairs)), steps),
            ),
            ("    tensor conversion", timed_steps(lambda: inputs.tensors(tf.as_dtype(dtype)), steps)),
            (
                "    compiled graph (TF/XLA)",
                timed_steps(lambda: model.compiled_graph(tensors, inputs.n_rows, len(atoms)), steps),
            ),
        ]
    rows += [
        ("  stability check", timed_steps(lambda: monitor.check(atoms, 0, 0.0), steps)),
        ("  thermo row (every 20 steps)", timed_steps(lambda: thermo_row(atoms, 0, TIMESTEP_FS), steps)),
    ]
    for name, ase_npt in (
        ("MD step, NPT (OneForceNPTBerendsen)", False),
        ("MD step, NPT (ASE NPTBerendsen)", True),
    ):
        _, npt = md_state(model, frame, "npt", dtype, ase_npt=ase_npt)
        npt.run(warmup // 2)
        rows.append((name, timed_steps(npt.step, steps)))
    with tempfile.TemporaryDirectory() as out:
        settings = dict(out_dir=out, ensemble="nvt", log_every=20, progress=False)
        run_md(frame, NNPCalculator(model, dtype=dtype), steps=warmup, **settings)
        start = time.perf_counter()
        run = run_md(frame, NNPCalculator(model, dtype=dtype), steps=warmup + steps, **settings)  # resumes
        mean = 1000 * (time.perf_counter() - start) / steps
    note = ""
    if run.status == "completed":
        rows.append(("run_md NVT, mean per step (records, restart)", (mean, mean, mean)))
    else:  # random weights may heat the system beyond the stability limits within the warm-up
        note = f"  (run_md not timed: {run.status}, {run.instability.reason})"
    x, y = np.random.default_rng(0).random((2, angular_terms(model, sfs.graph.inputs(pairs))))
    floor = timed_steps(lambda: np.exp(x) * y, steps)
    rows.append((f"floor: numpy exp(x)*y over {x.size} terms", floor))

    print(f"\n{label}, {dtype}: {len(atoms)} atoms, {model.n_weights} weights, {len(pairs)} pairs")
    if note:
        print(note)
    for name, (med, q1, q3) in rows:
        print(f"  {name:46s} {med:8.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor[0]:6.1f} x floor")
    named = {name.strip(): med for name, (med, _, _) in rows}
    nvt = named["MD step, NVT (integrator + stability check)"]
    npt = named["MD step, NPT (OneForceNPTBerendsen)"]
    npt_ase = named["MD step, NPT (ASE NPTBerendsen)"]
    q1, med, q3 = np.percentile(overhead, [25, 50, 75])
    print(f"  ASE + loop overhead per NVT step (step − its evaluate): {med:.2f} ms (IQR {q1:.2f}-{q3:.2f})")
    print(
        f"  => NVT {ns_per_day(nvt):.2f} ns/day, NPT {ns_per_day(npt):.2f} ns/day "
        f"(ASE NPTBerendsen {ns_per_day(npt_ase):.2f}); budget 2 ns/day = {86400e3 * 0.5e-6 / 2:.1f} ms/step"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps (median over them)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed steps first (XLA compilations)")
    parser.add_argument(
        "--dtype", nargs="+", default=["float64", "float32"], choices=["float64", "float32"],
        help="floating-point types of the calculator to time",
    )  # fmt: skip
    args = parser.parse_args()

    cheng = datasets.load_potential("nnp-revpbe0-d3-cheng2019")
    frame = next(datasets.iter_structures("revpbe0-d3", index=[0]))
    frame.calc = None
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for dtype in args.dtype:
        bench_model("Cheng 2019 potential (20-20)", cheng, frame, args.steps, args.warmup, dtype)
        bench_model("default-size network (25-25, Xavier weights)", default_size_network(cheng), frame,
                    args.steps, args.warmup, dtype)  # fmt: skip
    print(
        "\npeer (n2p2 v2.3.0, same machine, energy+forces of one 192-atom frame): 78 ms (1 thread), 42 ms (2)"
    )


if __name__ == "__main__":
    main()
