"""Runtime and peak memory of each notebook at a budget, as a Markdown table (README "Tutorial").

Each notebook runs top to bottom on a fresh kernel (``jupyter nbconvert --execute``) with
``NNP_TUTORIAL_BUDGET`` set, in its own intermediate process, so the peak resident memory
reported is that of its kernel alone (the largest process the intermediate one waited for,
``getrusage(RUSAGE_CHILDREN)``). Wall time includes the kernel start (a few seconds).

Usage::

    NNP_TUTORIAL_DATA=../shared/data python tools/measure_notebooks.py --budget workshop
    python tools/measure_notebooks.py --budget smoke notebooks/01_data_and_descriptors.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[1]

#: Runs one notebook and prints {"seconds", "peak_rss_bytes", "returncode"} as JSON.
_RUN_ONE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(
    [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
     "--ExecutePreprocessor.timeout=1800", "--output-dir", sys.argv[2], sys.argv[1]],
    capture_output=True, text=True,
)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: kB
sys.stderr.write(done.stderr[-3000:] if done.returncode else "")
print(json.dumps({"seconds": seconds, "peak_rss_bytes": peak, "returncode": done.returncode}))
"""


def measure(notebook: Path, budget: str, out_dir: Path) -> dict:
    """Wall time (s), peak RSS of the kernel (bytes) and exit status of one notebook run."""
    environment = {**os.environ, "NNP_TUTORIAL_BUDGET": budget}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ONE, str(notebook), str(out_dir)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    if done.stderr:
        sys.stderr.write(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--budget", default="workshop", choices=["smoke", "workshop", "paper"])
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    print(f"budget {args.budget}, {os.cpu_count()} CPUs\n")
    print("| notebook | wall time | peak RSS | status |\n|---|---|---|---|")
    total, failed = 0.0, 0
    with tempfile.TemporaryDirectory() as out_dir:
        for notebook in notebooks:
            result = measure(notebook, args.budget, Path(out_dir))
            total += result["seconds"]
            failed += result["returncode"] != 0
            status = "ok" if result["returncode"] == 0 else f"failed ({result['returncode']})"
            print(
                f"| `{notebook.stem}` | {result['seconds']:.0f} s | "
                f"{result['peak_rss_bytes'] / 1e9:.2f} GB | {status} |",
                flush=True,
            )
    print(f"\ntotal {total / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
