#!/usr/bin/env python3
"""Compare `glassbox inspect MODEL --json` with the same statistics in Python (onnx + numpy).

    python bench/bench_inspect.py GLASSBOX_BIN MODEL [MODEL...] [--runs 5]

For each model the two commands are run alternately (glassbox, python, glassbox, python, ...),
`--runs` timed times each after one untimed warm-up of each (so both see a warm page cache).
Wall-clock time of the whole process is measured, start-up included. Prints a markdown table.
The Python side runs bench/python_inspect.py with the interpreter running this script.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY_INSPECT = os.path.join(HERE, "python_inspect.py")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd)} exited with {r.returncode}: {' / '.join(err)}")
    return dt


def label(model):
    base = os.path.basename(model)
    if base == "model.onnx":  # fixtures/*/NAME/model.onnx
        base = os.path.join(os.path.basename(os.path.dirname(os.path.abspath(model))), base)
    return base


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("glassbox", help="path to the glassbox binary")
    ap.add_argument("models", nargs="+", help="ONNX model files")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    args = ap.parse_args()

    print(f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}; "
          f"Python {platform.python_version()}\n")
    print("| model | size MB | glassbox median s | python median s | glassbox/python |")
    print("|---|---:|---:|---:|---:|")
    failed = False
    for model in args.models:
        cmds = {
            "glassbox": [args.glassbox, "inspect", model, "--json"],
            "python": [sys.executable, PY_INSPECT, model],
        }
        times = {k: [] for k in cmds}
        try:
            for k, c in cmds.items():  # warm-up
                timed(c)
            for _ in range(args.runs):
                for k, c in cmds.items():
                    times[k].append(timed(c))
        except (RuntimeError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            print(f"| {label(model)} | {os.path.getsize(model) / 1e6:.1f} | failed | failed | - |")
            failed = True
            continue
        g = statistics.median(times["glassbox"])
        p = statistics.median(times["python"])
        print(f"| {label(model)} | {os.path.getsize(model) / 1e6:.1f} | {g:.3f} | {p:.3f} | {g / p:.2f} |",
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
