#!/usr/bin/env python3
"""glassbox run (full capture + statistics of every tensor) against ONNX Runtime with every
intermediate output plus numpy statistics of each, side by side, and glassbox's capture
overhead over its own plain inference.

    .venv/bin/python bench/bench_run.py GLASSBOX_BIN MODEL [MODEL...] [--runs 5]

Each model gets a seeded random input (scripts/random_inputs.py). Commands run interleaved,
one untimed warm-up each; medians of whole-process wall-clock times are printed as a
markdown table with the ratios.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("glassbox")
    p.add_argument("models", nargs="+")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {sys.version.split()[0]}\n")
    print("| model | glassbox run s | ORT + numpy s | ratio | glassbox --optimized s | ratio | glassbox plain s | capture overhead |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for model in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, os.path.join(REPO, "scripts/random_inputs.py"), model, tmp],
                                 check=True, capture_output=True, text=True).stdout
            pairs = [f"{k}={v}" for k, v in json.loads(out).items()]
            inputs = [a for pair in pairs for a in ("--input", pair)]
            commands = {
                "glassbox": [args.glassbox, "run", model, *inputs, "--json"],
                "python": [sys.executable, os.path.join(HERE, "python_run.py"), model, *pairs],
                "optimized": [args.glassbox, "run", model, *inputs, "--json", "--optimized"],
                "plain": [args.glassbox, "run", model, *inputs, "--json", "--no-capture"],
            }
            times = {k: [] for k in commands}
            for cmd in commands.values():
                timed(cmd)
            for _ in range(args.runs):
                for key, cmd in commands.items():
                    times[key].append(timed(cmd))
            m = {k: statistics.median(v) for k, v in times.items()}
            print(f"| {os.path.basename(model)} | {m['glassbox']:.3f} | {m['python']:.3f} | "
                  f"{m['glassbox'] / m['python']:.2f} | {m['optimized']:.3f} | {m['optimized'] / m['python']:.2f} | "
                  f"{m['plain']:.3f} | {m['glassbox'] / m['plain']:.2f}× |")


if __name__ == "__main__":
    main()
