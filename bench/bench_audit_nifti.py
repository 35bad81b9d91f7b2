#!/usr/bin/env python3
"""glassbox audit against nibabel + numpy on generated NIfTI volumes, side by side.

    .venv/bin/python bench/bench_audit_nifti.py GLASSBOX_BIN [--dir work/bench-nifti]
        [--volumes 200] [--runs 5]

Generates (seeded, once per --dir; regenerated when the parameters change) --volumes CT-like
int16 volumes of 128x128x64 into --dir: half .nii.gz, half .nii; RAS, LAS, LPS, PIR, ASL, ...
affines with varied voxel sizes (some anisotropic), one in ten with scl_slope/scl_inter; a few
exact copies. Then times `GLASSBOX audit DIR --json` against `python_audit_nifti.py DIR`
(the same header reads and per-sample statistics), interleaved, one untimed warm-up each, and
prints the medians of the whole-process wall-clock times and their ratio. Before timing, one
run of each is checked against the other: same samples, orientations, min/max/mean/p50.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHAPE = (128, 128, 64)
SEED = 4

# Axis permutations and flips of the voxel axes -> world axes, named by their aff2axcodes.
ORIENTATIONS = [
    ((0, 1, 2), (1, 1, 1)),     # RAS
    ((0, 1, 2), (-1, 1, 1)),    # LAS
    ((0, 1, 2), (-1, -1, 1)),   # LPS
    ((1, 2, 0), (-1, -1, 1)),   # PIR
    ((1, 2, 0), (1, 1, 1)),     # ASR... see aff2axcodes
    ((2, 0, 1), (1, 1, -1)),    # SRA / IRA
]


def phantom(rng):
    """A CT-like volume: air, a body ellipse of soft tissue, two bone cylinders, noise."""
    x, y, z = np.meshgrid(*(np.linspace(-1, 1, n) for n in SHAPE), indexing="ij")
    a, b = rng.uniform(0.6, 0.85, 2)
    body = (x / a) ** 2 + (y / b) ** 2 < 1
    vol = np.full(SHAPE, -1000.0)
    vol[body] = 40.0 + 20.0 * z[body]
    for cx in (-0.3, 0.3):
        vol[(x - cx) ** 2 + (y + 0.2) ** 2 < rng.uniform(0.005, 0.02)] = 1000.0
    vol += rng.normal(0, 15, SHAPE)
    return np.clip(vol, -1024, 3071).astype(np.int16)


def affine(rng, i):
    perm, flips = ORIENTATIONS[i % len(ORIENTATIONS)]
    zooms = np.array([0.8, 0.8, 2.5]) if i % 7 == 0 else rng.uniform(0.7, 1.2, 3)
    aff = np.zeros((4, 4))
    for voxel_axis, world_axis in enumerate(perm):
        aff[world_axis, voxel_axis] = flips[voxel_axis] * zooms[voxel_axis]
    aff[:3, 3] = -aff[:3, :3] @ (np.array(SHAPE) / 2)
    aff[3, 3] = 1
    return aff


def generate(out, count):
    stamp = os.path.join(out, "PARAMS")
    params = f"seed={SEED} count={count} shape={SHAPE} v2\n"
    if os.path.exists(stamp) and open(stamp).read() == params:
        return
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rng = np.random.default_rng(SEED)
    bases = [phantom(rng) for _ in range(8)]
    for i in range(count):
        gz = i % 2 == 0
        name = os.path.join(out, f"vol{i:04d}.nii" + (".gz" if gz else ""))
        if i % 50 == 49:  # an exact copy of the previous volume of the same kind
            shutil.copy(name.replace(f"{i:04d}", f"{i - 2:04d}"), name)
            continue
        data = bases[i % len(bases)] + rng.integers(-3, 4, SHAPE, dtype=np.int16)
        aff = affine(rng, i)
        img = nib.Nifti1Image(data, aff)
        img.header.set_qform(aff, code=1)
        img.header.set_sform(aff, code=2)
        img.header.set_xyzt_units("mm", "sec")
        if i % 10 == 3:
            img.header.set_slope_inter(0.5, -1024.0)
        nib.save(img, name)
    with open(stamp, "w") as f:
        f.write(params)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def check(commands):
    """Both tools saw the same volumes and agree on orientation and a few statistics."""
    out = {k: json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
           for k, cmd in commands.items()}
    g = {s["path"]: s for s in out["glassbox"]["samples"]}
    p = {s["path"]: s for s in out["python"]["samples"]}
    assert g.keys() == p.keys(), f"different samples: {sorted(g.keys() ^ p.keys())[:5]}"
    for path, ps in p.items():
        gs = g[path]
        assert gs["header"]["orientation"] == ps["header"]["orientation"], path
        for key in ["min", "max", "mean", "p1", "p50", "p99"]:
            a, b = gs["stats"][key], ps["stats"][key]
            assert abs(a - b) <= 1e-6 * max(1.0, abs(b)), f"{path} {key}: {a} vs {b}"
    rules = sorted({f["rule"] for f in out["glassbox"]["findings"]})
    return len(p), rules


def main():
    p = argparse.ArgumentParser()
    p.add_argument("glassbox")
    p.add_argument("--dir", default=os.path.join(REPO, "work/bench-nifti"))
    p.add_argument("--volumes", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    generate(args.dir, args.volumes)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    print(f"Machine: {os.cpu_count()} CPUs, {cpu}; Python {sys.version.split()[0]}, "
          f"nibabel {nib.__version__}, numpy {np.__version__}\n")
    size_mb = sum(os.path.getsize(os.path.join(args.dir, f)) for f in os.listdir(args.dir)) / 1e6
    commands = {
        "glassbox": [args.glassbox, "audit", args.dir, "--json"],
        "python": [sys.executable, os.path.join(HERE, "python_audit_nifti.py"), args.dir],
    }
    n, rules = check(commands)
    print(f"{n} volumes ({size_mb:.0f} MB on disk) agree; glassbox findings: {', '.join(rules)}\n")
    times = {k: [] for k in commands}
    for cmd in commands.values():
        timed(cmd)
    for _ in range(args.runs):
        for key, cmd in commands.items():
            times[key].append(timed(cmd))
    m = {k: statistics.median(v) for k, v in times.items()}
    print("| volumes | MB on disk | glassbox median s | nibabel + numpy median s | glassbox/python |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {n} | {size_mb:.0f} | {m['glassbox']:.3f} | {m['python']:.3f} | "
          f"{m['glassbox'] / m['python']:.2f} |")
    for key, values in times.items():
        print(f"{key}: " + " ".join(f"{v:.3f}" for v in values), file=sys.stderr)


if __name__ == "__main__":
    main()
