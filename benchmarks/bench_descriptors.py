"""Benchmark: energy + forces + stress of one structure with a published potential.

Prints medians (and quartiles) over repetitions for

* a 192-atom revPBE0-D3 frame with the Cheng et al. potential (budget: energy and
  forces <= 40 ms median on the 2-core machine), and
* n2p2's 1080-atom RPBE-D3 example box,

for the default engine (float64: symmetry functions and their gradient as numba loops,
:class:`~nnp_tutorial.descriptors.loops.DescriptorLoops`, networks in TensorFlow) split into
neighbour list (vesin, plain search), symmetry functions, networks and dE/dG, the gradient
with respect to the pair vectors, and forces and virial; and for the graph engine
(``engine="graph"``: triple lists by numba, then one XLA-compiled TensorFlow graph for
symmetry functions, networks, forces and stress by autodiff), in double precision and in
single precision (``model.evaluate(atoms, dtype="float32")``), next to a floor measured
in the same run: one numpy pass ``exp(x) * y`` over as many float64 numbers as the
structure has angular terms (triples × functions of their group), a yardstick of the
machine's speed of the moment sized like the work (the graph engine evaluates about one
exponential per term; the loops engine none per triple).

The page faults per evaluation should be a few hundred at most (218 measured):
TensorFlow's pooling (BFC) CPU allocator, which ``nnp_tutorial`` switches on,
keeps XLA's scratch memory between calls (with the default allocator: ~25 000
faults and twice the time per 192-atom frame on a machine without transparent
huge pages).

Optionally (``--all-frames``) evaluates every frame of the data set first, streaming,
and reports the peak resident memory of the process up to then (budget < 2 GB).

Run: ``python benchmarks/bench_descriptors.py [--repeats 20] [--all-frames]``
(reads published data from ``$NNP_TUTORIAL_DATA`` or downloads it).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import tensorflow as tf

from nnp_tutorial import datasets
from nnp_tutorial.timing import median_ms


def angular_terms(model, inputs) -> int:
    """Number of (triple, function) terms the structure needs."""
    return sum(
        len(p) * len(g.functions) for g, (p, _) in zip(model.descriptor.angular_groups, inputs.angular)
    )


def loops_parts(model, pairs, timer) -> list[tuple[str, tuple[float, float, float]]]:
    """Rows for the parts of the default (loops) engine, each timed by ``timer(function)``."""
    loops, architecture = model.architecture.loops, model.architecture
    g, state = loops.forward(pairs)
    g_tensors = [tf.constant(x) for x in g]
    _, nu = architecture.compiled_network_gradient(g_tensors, model.weights, model.constants)
    w = [x.numpy() for x in nu]
    grad = loops.backward(state, w)
    return [
        ("symmetry functions (pair terms; numba loops)", timer(lambda: loops.forward(pairs))),
        (
            "networks and dE/dG (TF/XLA)",
            timer(lambda: architecture.compiled_network_gradient(g_tensors, model.weights, model.constants)),
        ),
        ("gradient dE/dD per pair (numba loops)", timer(lambda: loops.backward(state, w))),
        ("forces and virial", timer(lambda: loops.forces_and_virial(pairs, grad))),
    ]


def bench_structure(label: str, model, atoms, repeats: int) -> None:
    sfs = model.descriptor
    pairs = sfs.pairs(atoms)
    single_chunk = len(atoms) <= 256
    inputs = sfs.graph.padded(sfs.graph.inputs(pairs))
    tensors = inputs.tensors()
    n_terms = angular_terms(model, sfs.graph.inputs(pairs))
    rng = np.random.default_rng(0)
    x, y = rng.random(n_terms), rng.random(n_terms)

    def timer(function):
        return median_ms(function, repeats)

    model.evaluate(atoms)  # compiles this shape: its page faults are not the steady state's
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    total = median_ms(lambda: model.evaluate(atoms), repeats, warmup=0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / repeats
    rows = [
        ("total: energy + forces + stress (loops engine)", total),
        ("  neighbour list (vesin)", timer(lambda: sfs.pairs(atoms))),
        *(("  " + name, value) for name, value in loops_parts(model, pairs, timer)),
        ("total, graph engine (engine='graph')", timer(lambda: model.evaluate(atoms, engine="graph"))),
        ("  triples and index arrays (numba)", timer(lambda: sfs.graph.padded(sfs.graph.inputs(pairs)))),
    ]
    if single_chunk:
        rows.append(
            (
                "  compiled graph (TF/XLA)",
                timer(lambda: model.compiled_graph(tensors, inputs.n_rows, len(atoms))),
            )
        )
    rows.append(("total, graph engine in float32", timer(lambda: model.evaluate(atoms, dtype="float32"))))
    if single_chunk:
        tensors32 = inputs.tensors(tf.float32)
        rows.append(
            (
                "  compiled graph (TF/XLA), float32",
                timer(lambda: model.compiled_graph(tensors32, inputs.n_rows, len(atoms))),
            )
        )
    floor = timer(lambda: np.exp(x) * y)
    rows.append((f"floor: numpy exp(x)*y over {n_terms} terms", floor))
    print(f"\n{label}: {len(atoms)} atoms, {len(pairs)} pairs, {sfs.graph.inputs(pairs).n_triples} triples")
    for name, (med, q1, q3) in rows:
        print(f"  {name:48s} {med:9.2f} ms  (IQR {q1:.2f}-{q3:.2f})  = {med / floor[0]:6.2f} x floor")
    print(f"  per atom: {total[0] / len(atoms):.4f} ms/atom; page faults per evaluation: {faults:.0f}")


def all_frames(model) -> None:
    from nnp_tutorial.evaluation import evaluate_errors

    start = time.perf_counter()
    summary = evaluate_errors(model, datasets.iter_structures("revpbe0-d3"), total=1593)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nall frames: {summary}; {seconds:.1f} s; peak RSS {peak_mb:.0f} MB (budget 2048 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--all-frames", action="store_true")
    args = parser.parse_args()

    cheng = datasets.load_potential("nnp-revpbe0-d3-cheng2019")
    # first: the peak RSS is the process's, and the graph engine's timings below add ~1.5 GB
    if args.all_frames:
        all_frames(cheng)
    frame = next(datasets.iter_structures("revpbe0-d3", index=[0]))
    frame.calc = None
    bench_structure("revPBE0-D3 frame 0 (Cheng 2019 potential, 20-20 network)", cheng, frame, args.repeats)

    rpbe = datasets.load_potential("n2p2-example-1080")
    box = datasets.load_structures("n2p2-example-1080")[0]
    box.calc = None
    bench_structure(
        "n2p2 example box (RPBE-D3 potential, 25-25 network)", rpbe, box, max(5, args.repeats // 4)
    )
    print(
        "\npeer (n2p2 v2.3.0, same machine): 192 atoms 78 ms (1 thread) / 42 ms (2 threads); "
        "1080 atoms 0.44 / 0.25 ms/atom"
    )


if __name__ == "__main__":
    main()
