#!/usr/bin/env python3
"""What nibabel reads from a NIfTI file: the oracle for glassbox-run's NIfTI tests.

    .venv/bin/python scripts/input_facts.py FILE.nii[.gz] OUTDIR

Writes OUTDIR/raw.npy (np.asanyarray(img.dataobj): the raw array order, scaled when the header
says so), OUTDIR/canonical.npy (the same after nibabel.as_closest_canonical) as C-order
little-endian float64, and prints JSON facts: shape, affine, qform, sform, codes, zooms,
axcodes, slope/intercept, and the canonical image's shape and affine.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} FILE OUTDIR", file=sys.stderr)
        return 2
    img = nib.load(argv[1])
    out = argv[2]
    hdr = img.header
    raw = np.asanyarray(img.dataobj)
    canonical = nib.as_closest_canonical(img)
    np.save(os.path.join(out, "raw.npy"), np.ascontiguousarray(raw, dtype="<f8"))
    np.save(os.path.join(out, "canonical.npy"), np.ascontiguousarray(np.asanyarray(canonical.dataobj), dtype="<f8"))
    # nibabel moves scl_slope/scl_inter from the header into the array proxy on load.
    slope, inter = float(img.dataobj.slope), float(img.dataobj.inter)
    facts = {
        "shape": list(img.shape),
        "affine": img.affine.tolist(),
        "qform": hdr.get_qform().tolist(),
        "sform": hdr.get_sform().tolist(),
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        "zooms": [float(z) for z in hdr.get_zooms()],
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "scaled": (slope, inter) != (1.0, 0.0),
        "slope": slope,
        "inter": inter,
        "canonical_shape": list(canonical.shape),
        "canonical_affine": canonical.affine.tolist(),
        "sizeof_hdr": int(hdr["sizeof_hdr"]),
    }
    json.dump(facts, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
