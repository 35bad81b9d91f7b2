#!/usr/bin/env python3
"""Baseline for bench_audit_nifti.py: what `glassbox audit DIR --json` does for NIfTI volumes,
in plain nibabel + numpy.

    python bench/python_audit_nifti.py DIR

For every .nii / .nii.gz below DIR (sorted): the header facts glassbox reports (dim, pixdim,
units, qform/sform codes and affines, the best affine, orientation by nib.aff2axcodes,
datatype, scl_slope/scl_inter), the values with scaling applied as nibabel applies it, and the
per-sample statistics of crates/data/src/sample.rs: count, min/max/mean/std of the finite
values in float64, zero count and fraction, NaN/Inf counts, the 1/50/99 percentiles (numpy's
default linear interpolation), saturation at the integer dtype's ends, constant, value
convention, a hash of the values (for exact duplicates) and the per-sample histogram of
crates/data/src/histogram.rs (8/16-bit integers: 256 bins over the type's range; others: 64
bins over the sample's [min, max]). Then the dataset level: counts per
shape/dtype/orientation, mixed orientations, anisotropic voxels, q/sform disagreement, scaling,
duplicate groups and outliers by robust z-score of the per-sample means. Prints one JSON document.
"""
import hashlib
import json
import os
import sys

import nibabel as nib
import numpy as np


def header_facts(img):
    hdr = img.header
    ndim = int(hdr["dim"][0])
    units = hdr.get_xyzt_units()
    qform, qcode = hdr.get_qform(coded=True)
    sform, scode = hdr.get_sform(coded=True)
    slope, inter = (float(x) for x in (hdr["scl_slope"], hdr["scl_inter"]))
    return {
        "dim": [int(d) for d in hdr["dim"][1:ndim + 1]],
        "voxel_size": [float(p) for p in hdr["pixdim"][1:ndim + 1]],
        "space_unit": units[0], "time_unit": units[1],
        "orientation": "".join(nib.aff2axcodes(img.affine)),
        "qform_code": int(qcode), "sform_code": int(scode),
        "affine": img.affine.tolist(),
        "qform": hdr.get_qform().tolist(), "sform": hdr.get_sform().tolist(),
        "datatype": str(hdr.get_data_dtype()),
        "scl_slope": slope if np.isfinite(slope) else None,
        "scl_inter": inter if np.isfinite(inter) else None,
    }


NATURAL_BINS = {np.dtype("uint8"): (0, 256), np.dtype("int8"): (-128, 128),
                np.dtype("uint16"): (0, 65536), np.dtype("int16"): (-32768, 32768)}


def histogram(a, s):
    if a.dtype in NATURAL_BINS:
        return np.histogram(a, bins=256, range=NATURAL_BINS[a.dtype])[0]
    if s["min"] is None:
        return np.zeros(0)
    finite = a[np.isfinite(a)]
    return np.histogram(finite, bins=64, range=(s["min"], s["max"]))[0]


INT_RANGES = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max)
              for t in ("uint8", "uint16", "uint32", "int8", "int16", "int32", "int64")}


def stats(a):
    flat = a.reshape(-1)
    values = flat.astype(np.float64)
    finite = np.isfinite(values)
    n_finite = int(np.count_nonzero(finite))
    nan = int(np.count_nonzero(np.isnan(values)))
    f = values if n_finite == values.size else values[finite]
    zeros = int(np.count_nonzero(f == 0))
    s = {"count": int(values.size), "zeros": zeros, "zero_fraction": zeros / max(values.size, 1),
         "nan": nan, "inf": int(values.size - n_finite - nan),
         "min": None, "max": None, "mean": None, "std": None, "p1": None, "p50": None, "p99": None}
    if n_finite:
        p1, p50, p99 = np.percentile(f, [1, 50, 99])
        s.update(min=float(f.min()), max=float(f.max()), mean=float(f.mean()), std=float(f.std()),
                 p1=float(p1), p50=float(p50), p99=float(p99))
    saturation = None
    if a.dtype in INT_RANGES:
        lo, hi = INT_RANGES[a.dtype]
        saturation = {"low": int(np.count_nonzero(flat == lo)) / max(flat.size, 1),
                      "high": int(np.count_nonzero(flat == hi)) / max(flat.size, 1)}
    return s, saturation


def convention(dtype, s):
    if dtype == np.uint8:
        return "[0,255]"
    if dtype == np.uint16:
        return "[0,65535]"
    lo, hi = s["min"], s["max"]
    if lo is None:
        return "empty"
    for name, (a, b) in [("[0,1]", (0, 1)), ("[-1,1]", (-1, 1)), ("[0,255]", (0, 255)),
                         ("[0,65535]", (0, 65535))]:
        if lo >= a and hi <= b:
            return name
    return "other"


def sample(root, rel):
    img = nib.load(os.path.join(root, rel))
    header = header_facts(img)
    data = np.asanyarray(img.dataobj)  # scaling applied (float) when scl_slope is set
    if data.dtype.kind == "f":
        data = data.astype(np.float32)  # glassbox keeps scaled volumes as float32
    s, saturation = stats(data)
    digest = hashlib.blake2b(np.ascontiguousarray(data).tobytes(), digest_size=16)
    digest.update(str(data.dtype).encode() + str(data.shape).encode())
    return {"path": rel, "format": "nifti1", "shape": list(data.shape), "dtype": str(data.dtype),
            "stats": s, "saturation": saturation, "constant": s["min"] == s["max"],
            "convention": convention(data.dtype, s), "hash": digest.hexdigest(),
            "histogram": histogram(data, s).tolist(), "header": header}


def findings(samples):
    out = []
    orientations = {}
    for s in samples:
        orientations.setdefault(s["header"]["orientation"], []).append(s["path"])
    if len(orientations) > 1:
        out.append({"rule": "nifti-mixed-orientations", "samples": sorted(orientations)})
    for s in samples:
        h = s["header"]
        zooms = [abs(v) for v in h["voxel_size"][:3]]
        if min(zooms) > 0 and max(zooms) / min(zooms) > 3:
            out.append({"rule": "nifti-anisotropic-voxels", "samples": [s["path"]]})
        if h["qform_code"] > 0 and h["sform_code"] > 0 and \
                not np.allclose(h["qform"], h["sform"], atol=1e-3):
            out.append({"rule": "nifti-qform-sform-disagree", "samples": [s["path"]]})
        if h["scl_slope"] not in (None, 0.0, 1.0) or h["scl_inter"] not in (None, 0.0):
            out.append({"rule": "nifti-scaling", "samples": [s["path"]]})
    by_hash = {}
    for s in samples:
        by_hash.setdefault(s["hash"], []).append(s["path"])
    out += [{"rule": "exact-duplicates", "samples": g} for g in by_hash.values() if len(g) > 1]
    means = np.array([s["stats"]["mean"] or 0.0 for s in samples])
    if len(means):
        med = np.median(means)
        mad = np.median(np.abs(means - med)) * 1.4826
        if mad > 0:
            z = np.abs(means - med) / mad
            out += [{"rule": "outliers", "samples": [samples[i]["path"]]}
                    for i in np.nonzero(z > 5)[0]]
    return out


def main(root):
    paths = []
    for dirpath, _, files in os.walk(root, followlinks=True):
        for name in files:
            if name.lower().endswith((".nii", ".nii.gz")):
                paths.append(os.path.relpath(os.path.join(dirpath, name), root))
    samples = [sample(root, rel) for rel in sorted(paths)]
    summary = {"samples": len(samples),
               "shapes": {}, "dtypes": {}, "orientations": {}}
    for s in samples:
        for key, value in [("shapes", "x".join(map(str, s["shape"]))), ("dtypes", s["dtype"]),
                           ("orientations", s["header"]["orientation"])]:
            summary[key][value] = summary[key].get(value, 0) + 1
    json.dump({"root": root, "samples": samples, "findings": findings(samples),
               "dataset": summary}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DIR")
    sys.exit(main(sys.argv[1]))
