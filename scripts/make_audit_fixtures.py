#!/usr/bin/env python3
"""Seeded datasets for the tests of `glassbox audit`, and what numpy/nibabel say about them.

    .venv/bin/python scripts/make_audit_fixtures.py SET OUTDIR
    .venv/bin/python scripts/make_audit_fixtures.py header-facts FILE...

SET is one of:
  stats         one file per format (8/16-bit gray and RGB PNG, float/int .npy with NaN/Inf,
                NIfTI int16 LAS, scaled int16 .nii.gz, uint8 RAS); prints per-file numpy facts
  clean         12 similar, distinct 64x64 gray PNGs: no finding may fire
  planted       the clean set plus one planted problem per rule (see PLANTED); prints the plan
  nifti-clean   6 RAS, isotropic, unscaled volumes with equal qform and sform
  nifti-planted the NIfTI clean set plus one volume per NIfTI rule
  masks         images/ and masks/ (suffixes _mask, _seg, _label; PNG, JPEG, .npy, NIfTI) with
                one planted problem per mask rule (see MASKS_PLANTED); prints the plan and numpy's
                label values per mask
  histogram     u8/: 12 uint8 PNGs, floats/: 3 float32 .npy with different ranges; prints
                numpy.histogram of all u8 values (256 bins over [0, 256)) and of each float file
                (64 bins over its range)
  xray          40 X-ray-like 256x256 gray PNGs, 12 with a white text tag at the top left
                (+-2 px); prints which files carry it, the box around all tags and
                the core box inside every tag's box
  xray-clean    the same kind of images, no tag: no burned-in-mark may fire
  xray16        30 12-bit images in 16-bit PNGs, 192x256, 9 tagged at the bottom right
  xray-sizes    48 X-ray-like PNGs of four sizes (256x256, 320x288, 288x320, 576x544 HxW; the
                last has 16 px mark blocks, the others 8), 16 tagged at the bottom right at the
                same distances from that corner; prints, per tagged file, its size and its
                tag's box as well
  xray-sizes-tl the same sizes, 16 tagged at the top left
  xray-sizes-clean the same sizes, no tag
  derm          40 skin-photo-like 192x192 RGB PNGs with a soft dark lesion, 12 with a black ruler
                (bar and ticks) near the bottom (+-2 px): a dark mark; prints as xray does
  derm-clean    the same kind of photographs, no ruler
  quality       24 varied natural-looking 96x96 pictures (gray and colour, different brightness)
                plus planted image-quality problems, one or two per rule (see QUALITY_PLANTED);
                prints the plan and numpy's brightness, entropy and perceptual hash per PNG
  html          the planted set plus a LAS and a RAS NIfTI volume; prints, for the LAS volume,
                nibabel's mid axial slice raw and canonical (as_closest_canonical) in display
                order (x to the right, y up) and the volume's value range
  bad           a good PNG plus a truncated PNG, a .npy with a lying header, a .nii.gz that is
                not gzip, a NIfTI header claiming 10^12 voxels, and a symlink loop

Every set prints one JSON document on stdout. `header-facts` prints, per NIfTI file, what
nibabel reads from its header: the oracle for the `header` object of the audit.
"""
import gzip
import json
import os
import struct
import sys

import nibabel as nib
import numpy as np
from PIL import Image, ImageFilter

SEED = 20240604


def facts(values):
    """numpy's statistics of an array, as the audit reports them."""
    a = np.asarray(values)
    flat = a.astype(np.float64).ravel()
    finite = flat[np.isfinite(flat)]
    out = {
        "shape": list(a.shape),
        "dtype": str(a.dtype),
        "count": int(flat.size),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "mean": float(finite.mean()),
        "std": float(finite.std()),
        "zeros": int((flat == 0).sum()),
        "nan": int(np.isnan(flat).sum()),
        "inf": int(np.isinf(flat).sum()),
        "p1": float(np.percentile(finite, 1)),
        "p50": float(np.percentile(finite, 50)),
        "p99": float(np.percentile(finite, 99)),
    }
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        out["saturation"] = {
            "low": float((a == info.min).sum() / a.size),
            "high": float((a == info.max).sum() / a.size),
        }
    else:
        out["saturation"] = None
    return out


def png(path, array):
    Image.fromarray(array).save(path)


def read_png(path):
    array = np.array(Image.open(path))
    return array[:, :, None] if array.ndim == 2 else array


def nifti(path, data, affine, zooms=None, slope=None, inter=None, sform=None):
    # The image's affine is the sform (nibabel's save rewrites the header otherwise).
    img = nib.Nifti1Image(data, affine if sform is None else sform)
    hdr = img.header
    hdr.set_qform(affine, code=1)
    hdr.set_sform(affine if sform is None else sform, code=2)
    if zooms is not None:
        hdr.set_zooms(zooms)
    if slope is not None:
        hdr.set_slope_inter(slope, inter)
    nib.save(img, path)


def make_stats(out, rng):
    files = {}
    gray8 = rng.integers(0, 256, (48, 40), dtype=np.uint8)
    gray8[:2] = 255
    gray8[-3:] = 0
    png(os.path.join(out, "gray8.png"), gray8)
    gray16 = rng.integers(0, 65536, (30, 20), dtype=np.uint16)
    gray16[0, :5] = 65535
    png(os.path.join(out, "gray16.png"), gray16)
    rgb8 = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    png(os.path.join(out, "rgb8.png"), rgb8)
    for name in ["gray8.png", "gray16.png", "rgb8.png"]:
        files[name] = facts(read_png(os.path.join(out, name)))

    floats = rng.normal(0.5, 2.0, (7, 9, 5)).astype(np.float32)
    floats[0, 0, :3] = [np.nan, np.inf, -np.inf]
    floats[1, 1, :4] = 0
    np.save(os.path.join(out, "floats.npy"), floats)
    files["floats.npy"] = facts(floats)
    ints = rng.integers(-1000, 3000, (11, 13), dtype=np.int16)
    ints[0, 0] = -32768
    np.save(os.path.join(out, "sub/ints.npy"), ints)
    files["sub/ints.npy"] = facts(ints)

    las = np.diag([-2.0, 2.0, 3.0, 1.0])
    volume = rng.integers(-1024, 2000, (10, 12, 8), dtype=np.int16)
    nifti(os.path.join(out, "ct_las.nii"), volume, las)
    scaled = rng.integers(0, 1000, (9, 8, 7), dtype=np.int16)
    nifti(os.path.join(out, "ct_scaled.nii.gz"), scaled, np.eye(4), slope=0.5, inter=-100.0)
    ras8 = rng.integers(0, 256, (6, 7, 5), dtype=np.uint8)
    nifti(os.path.join(out, "ras8.nii.gz"), ras8, np.eye(4))
    for name in ["ct_las.nii", "ct_scaled.nii.gz", "ras8.nii.gz"]:
        img = nib.load(os.path.join(out, name))
        data = np.asanyarray(img.dataobj)
        entry = facts(data.astype(np.float32) if data.dtype.kind == "f" else data)
        entry["orientation"] = "".join(nib.aff2axcodes(img.affine))
        files[name] = entry
    return {"files": files}


def clean_images(out, rng, count=12, prefix="img"):
    names = []
    for i in range(count):
        base = rng.normal(120, 30, (64, 64))
        image = np.clip(base, 0, 255).astype(np.uint8)
        name = f"{prefix}{i:02d}.png"
        png(os.path.join(out, name), image)
        names.append(name)
    return names


# rule -> the sample paths it must name in the planted set
PLANTED = {
    "constant-samples": ["constant.png"],
    "exact-duplicates": ["copy_of_img03.png", "img03.png"],
    "mixed-shapes": ["wide.png"],
    "mixed-dtypes": ["unit_float.npy"],
    "mixed-value-conventions": ["unit_float.npy"],
}


def make_planted(out, rng):
    clean_images(out, rng)
    png(os.path.join(out, "constant.png"), np.full((64, 64), 77, np.uint8))
    with open(os.path.join(out, "img03.png"), "rb") as f:
        copy = f.read()
    with open(os.path.join(out, "copy_of_img03.png"), "wb") as f:
        f.write(copy)
    wide = np.clip(rng.normal(120, 30, (64, 80)), 0, 255).astype(np.uint8)
    png(os.path.join(out, "wide.png"), wide)
    unit = np.clip(rng.normal(120, 30, (64, 64, 1)), 0, 255).astype(np.float32) / 255
    np.save(os.path.join(out, "unit_float.npy"), unit)
    bright = np.clip(rng.normal(235, 30, (64, 64)), 0, 255).astype(np.uint8)
    png(os.path.join(out, "bright.png"), bright)
    return {"planted": PLANTED, "outlier": "bright.png"}


def make_nifti_clean(out, rng, count=6):
    for i in range(count):
        data = rng.integers(0, 1000, (8, 9, 7), dtype=np.int16)
        affine = np.diag([1.5, 1.5, 1.5, 1.0])
        affine[:3, 3] = [-6, -6, -5]
        nifti(os.path.join(out, f"vol{i}.nii.gz"), data, affine)


NIFTI_PLANTED = {
    "nifti-mixed-orientations": ["lps.nii"],
    "nifti-anisotropic-voxels": ["aniso.nii.gz"],
    # Zeroing pixdim[3] also changes the qform (the quaternion's scale), so it disagrees too.
    "nifti-qform-sform-disagree": ["disagree.nii", "zero_pixdim.nii"],
    "nifti-scaling": ["scaled.nii.gz"],
    "nifti-bad-pixdim": ["zero_pixdim.nii"],
}


def make_nifti_planted(out, rng):
    make_nifti_clean(out, rng)
    data = lambda: rng.integers(0, 1000, (8, 9, 7), dtype=np.int16)  # noqa: E731
    iso = np.diag([1.5, 1.5, 1.5, 1.0])
    nifti(os.path.join(out, "lps.nii"), data(), np.diag([-1.5, -1.5, 1.5, 1.0]))
    nifti(os.path.join(out, "aniso.nii.gz"), data(), np.diag([1.0, 1.0, 5.0, 1.0]))
    moved = iso.copy()
    moved[:3, 3] = [10, 0, 0]
    nifti(os.path.join(out, "disagree.nii"), data(), iso, sform=moved)
    nifti(os.path.join(out, "scaled.nii.gz"), data(), iso, slope=2.0, inter=-1024.0)
    # pixdim[3] = 0: write a valid file, then zero the field in the header bytes.
    path = os.path.join(out, "zero_pixdim.nii")
    nifti(path, data(), iso)
    with open(path, "r+b") as f:
        f.seek(76 + 3 * 4)  # pixdim[3]
        f.write(struct.pack("<f", 0.0))
    return {"planted": NIFTI_PLANTED}


def make_bad(out, rng):
    good = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    png(os.path.join(out, "good.png"), good)
    png(os.path.join(out, "whole.png"), rng.integers(0, 256, (64, 64), dtype=np.uint8))
    with open(os.path.join(out, "whole.png"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "truncated.png"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    os.remove(os.path.join(out, "whole.png"))
    # .npy whose header promises 10^6 x 10^6 float32 but holds 4 values.
    np.save(os.path.join(out, "lying.npy"), np.zeros(4, np.float32))
    with open(os.path.join(out, "lying.npy"), "rb") as f:
        raw = f.read()
    raw = raw.replace(b"(4,), }", b"(1000000, 1000000), }")
    header_len = raw.index(b"\n", 10) + 1
    # keep the header block length a multiple of 64 as numpy writes it
    header = raw[10:header_len].rstrip(b"\n").rstrip(b" ")
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + b" " * pad + b"\n"
    raw = raw[:8] + struct.pack("<H", len(header)) + header + raw[header_len:]
    with open(os.path.join(out, "lying.npy"), "wb") as f:
        f.write(raw)
    # A plain .nii named .nii.gz.
    vol = np.zeros((4, 4, 4), np.int16)
    nib.save(nib.Nifti1Image(vol, np.eye(4)), os.path.join(out, "plain.nii"))
    os.rename(os.path.join(out, "plain.nii"), os.path.join(out, "not_gzip.nii.gz"))
    # A header claiming 10^4 x 10^4 x 10^4 = 10^12 voxels over 64 bytes of data.
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(np.int16)
    hdr.set_data_shape((10000, 10000, 10000))
    with open(os.path.join(out, "huge.nii"), "wb") as f:
        f.write(hdr.binaryblock + b"\0" * 4 + b"\0" * 64)
    with gzip.open(os.path.join(out, "huge.nii.gz"), "wb") as f:
        f.write(hdr.binaryblock + b"\0" * 4 + b"\0" * 64)
    os.symlink(".", os.path.join(out, "loop"))
    return {
        "bad": sorted(["huge.nii", "huge.nii.gz", "lying.npy", "loop", "not_gzip.nii.gz",
                       "truncated.png"]),
        "good": ["good.png"],
    }


# rule -> the sample paths it must name in the masks set (images, or masks without an image)
MASKS_PLANTED = {
    "image-without-mask": ["case06.png"],
    "mask-without-image": ["orphan_mask.png"],
    "mask-shape-mismatch": ["case07.png"],
    "empty-masks": ["case08.png"],
    "mask-not-binary": ["case09.png"],
}


def disk(shape, center, radius, value):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    inside = (yy - center[0]) ** 2 + (xx - center[1]) ** 2 <= radius**2
    return np.where(inside, value, 0).astype(np.uint8)


def make_masks(out, rng):
    images, masks = os.path.join(out, "images"), os.path.join(out, "masks")
    os.makedirs(os.path.join(images, "sub"), exist_ok=True)
    os.makedirs(os.path.join(masks, "sub"), exist_ok=True)
    for i in range(10):
        png(os.path.join(images, f"case{i:02d}.png"),
            np.clip(rng.normal(120, 30, (64, 64)), 0, 255).astype(np.uint8))
    for i in range(6):
        png(os.path.join(masks, f"case{i:02d}_mask.png"), disk((64, 64), (20 + i, 30), 9, 255))
    # case06: no mask. case07: a mask of another size. case08: empty. case09: JPEG.
    png(os.path.join(masks, "case07_seg.png"), disk((32, 32), (16, 16), 6, 255))
    png(os.path.join(masks, "case08_mask.png"), np.zeros((64, 64), np.uint8))
    Image.fromarray(disk((64, 64), (30, 30), 12, 255)).save(
        os.path.join(masks, "case09_mask.jpg"), quality=75)
    png(os.path.join(masks, "orphan_mask.png"), disk((64, 64), (30, 30), 5, 255))
    png(os.path.join(images, "sub", "case10.png"), rng.integers(0, 256, (64, 64), dtype=np.uint8))
    np.save(os.path.join(masks, "sub", "case10_label.npy"), disk((64, 64), (10, 10), 4, 1))
    iso = np.diag([1.5, 1.5, 1.5, 1.0])
    nifti(os.path.join(images, "vol.nii.gz"), rng.integers(0, 1000, (8, 9, 7), dtype=np.int16), iso)
    seg = np.zeros((8, 9, 7), np.uint8)
    seg[2:5, 3:6, 2:4] = 1
    nifti(os.path.join(masks, "vol_seg.nii.gz"), seg, iso)
    labels = {}
    for root, _, names in os.walk(masks):
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".npy"):
                values = np.load(path)
            elif name.endswith(".nii.gz"):
                values = np.asanyarray(nib.load(path).dataobj)
            else:
                values = np.array(Image.open(path))
            labels[os.path.relpath(path, masks)] = [float(v) for v in np.unique(values)]
    return {"planted": MASKS_PLANTED, "labels": labels}


def make_histogram(out, rng):
    u8, floats = os.path.join(out, "u8"), os.path.join(out, "floats")
    os.makedirs(u8)
    os.makedirs(floats)
    names = clean_images(u8, rng)
    values = np.concatenate([read_png(os.path.join(u8, n)).ravel() for n in names])
    counts, _ = np.histogram(values, bins=256, range=(0, 256))
    per_file = {}
    for i, (mean, std) in enumerate([(0.5, 0.1), (10.0, 3.0), (-2.0, 1.0)]):
        x = rng.normal(mean, std, (20, 30)).astype(np.float32)
        name = f"f{i}.npy"
        np.save(os.path.join(floats, name), x)
        c, edges = np.histogram(x.astype(np.float64), bins=64)
        per_file[name] = {"counts": c.tolist(), "lo": float(edges[0]), "hi": float(edges[-1])}
    return {"u8_counts": counts.tolist(), "floats": per_file}


def xray(rng, height, width, peak):
    """A soft chest-like picture in [0, peak]: a body, two darker lungs, a spine, soft ribs,
    noise, a black border of random width, random brightness and contrast. Nothing in it is
    both bright and sharp-edged."""
    y, x = np.mgrid[0:height, 0:width]
    y, x = y / height, x / width
    cx, cy = 0.5 + rng.uniform(-0.04, 0.04), 0.55 + rng.uniform(-0.04, 0.04)
    body = np.exp(-(((x - cx) / 0.42) ** 2) - ((y - cy) / 0.55) ** 2)
    lungs = sum(
        np.exp(-(((x - cx - side * 0.18) / 0.12) ** 4) - ((y - cy + 0.05) / 0.3) ** 4)
        for side in (-1, 1)
    )
    spine = np.exp(-(((x - cx) / 0.05) ** 2)) * np.exp(-(((y - 0.6) / 0.5) ** 2))
    ribs = 0.5 + 0.5 * np.sin(2 * np.pi * (9 * y + 2 * (x - cx) ** 2 + rng.uniform()))
    image = 0.2 + 0.5 * body - 0.3 * lungs + 0.25 * spine + 0.08 * ribs * lungs
    image = rng.uniform(-0.05, 0.05) + rng.uniform(0.75, 1.05) * image
    image = np.clip(image + rng.normal(0, 0.012, image.shape), 0, 1) * peak
    top, bottom, left, right = rng.integers(3, 10, size=4)
    image[:top], image[height - bottom :] = 0, 0
    image[:, :left], image[:, width - right :] = 0, 0
    return image


def around_and_inside(boxes):
    """The box around all (x0, y0, x1, y1) boxes and the box inside every one, as dicts; None,
    None without boxes."""
    if not boxes:
        return None, None
    keys = ["x0", "y0", "x1", "y1"]
    around = {k: f(b[i] for b in boxes) for i, (k, f) in enumerate(zip(keys, [min, min, max, max]))}
    inside = {k: f(b[i] for b in boxes) for i, (k, f) in enumerate(zip(keys, [max, max, min, min]))}
    return around, inside


def tag_mask(lines):
    """Blocky white text (Pillow's default font, thresholded): a boolean mask cropped to it."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    canvas = Image.new("L", (200, 20 * len(lines)))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((0, 18 * i), line, fill=255, font=font)
    mask = np.array(canvas) > 96
    rows, cols = np.nonzero(mask)
    return mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def make_xray(out, rng, tagged=12, count=40, height=256, width=256, peak=230, tag=255,
              dtype=np.uint8, corner="top-left", lines=("ANON 0421 R", "PA ERECT"), sizes=None):
    """X-ray-like images; `tagged` of them carry a white text tag near `corner`, offset by up
    to 2 px. Returns which files carry it and the box (x1/y1 exclusive) over all tags; with
    `sizes` ((height, width) pairs, taken in turn) also each tagged file's size and tag box."""
    mask = tag_mask(lines) if tagged else None
    carriers = set(rng.choice(count, size=tagged, replace=False).tolist()) if tagged else set()
    names, boxes, per_file = [], [], {}
    for i in range(count):
        if sizes:
            height, width = sizes[i % len(sizes)]
        image = xray(rng, height, width, peak)
        name = f"cxr{i:03d}.png"
        if i in carriers:
            dy, dx = rng.integers(-2, 3, size=2)
            h, w = mask.shape
            y0 = 10 + dy if corner.startswith("top") else height - 12 - h + dy
            x0 = 10 + dx if corner.endswith("left") else width - 12 - w + dx
            image[y0 : y0 + h, x0 : x0 + w][mask] = tag
            boxes.append((int(x0), int(y0), int(x0 + w), int(y0 + h)))
            per_file[name] = {"width": width, "height": height, "box": list(boxes[-1])}
        png(os.path.join(out, name), np.round(image).astype(dtype))
        names.append(name)
    box, core = around_and_inside(boxes)
    tagged_names = sorted(f"cxr{i:03d}.png" for i in carriers)
    # box: every tag's pixels lie inside; core: inside every tag's box
    result = {"files": names, "tagged": tagged_names, "box": box, "core": core}
    if sizes:
        result["per_file"] = per_file
    return result


XRAY_SIZES = [(256, 256), (320, 288), (288, 320), (576, 544)]


def make_derm(out, rng, tagged=12, count=40, size=192):
    """Skin-photo-like RGB pictures: shaded skin, noise, a dark lesion with a soft rim (nothing
    dark is sharp-edged); `tagged` of them carry a black ruler near the bottom, a 3 px bar with
    ticks every 8 px, offset by up to 2 px. Returns the files, the tagged ones and the boxes as
    make_xray does."""
    carriers = set(rng.choice(count, size=tagged, replace=False).tolist()) if tagged else set()
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    names, boxes = [], []
    for i in range(count):
        skin = np.array([rng.uniform(200, 235), rng.uniform(160, 190), rng.uniform(130, 160)])
        shade = 1 + 0.08 * np.sin(x / size * np.pi * rng.uniform(0.5, 1.5) + rng.uniform(0, 6))
        image = skin[None, None, :] * shade[..., None]
        cy, cx = size / 2 + rng.uniform(-20, 20, size=2)
        ry, rx = rng.uniform(22, 42, size=2)
        distance = np.sqrt(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2)
        lesion = 1 / (1 + np.exp((distance - 1) * 6))
        image = image * (1 - lesion[..., None]) + np.array([95, 62, 42])[None, None, :] * lesion[..., None]
        image += rng.normal(0, 3, image.shape)
        name = f"derm{i:03d}.png"
        if i in carriers:
            dy, dx = rng.integers(-2, 3, size=2)
            y0, x0, length = 166 + dy, 24 + dx, 144
            ruler = np.zeros((11, length), dtype=bool)
            ruler[8:11, :] = True
            ruler[2:8, ::8] = True
            image[y0 : y0 + 11, x0 : x0 + length][ruler] = 28
            boxes.append((int(x0), int(y0 + 2), int(x0 + length), int(y0 + 11)))
        png(os.path.join(out, name), np.round(np.clip(image, 0, 255)).astype(np.uint8))
        names.append(name)
    box, core = around_and_inside(boxes)
    return {"files": names, "tagged": sorted(f"derm{i:03d}.png" for i in carriers), "box": box, "core": core}


def make_xray16(out, rng):
    """12-bit values in 16-bit PNGs, 192x256, the tag at the detector's ceiling (4095) in the
    bottom-right corner of 9 of 30 images."""
    return make_xray(out, rng, tagged=9, count=30, height=192, width=256, peak=3800, tag=4095,
                     dtype=np.uint16, corner="bottom-right", lines=("PORTABLE", "L"))


# --- quality: the image-quality rules (too dark/light, low information, blur, odd shapes,
# grayscale stored as RGB, near duplicates). Every file name not listed here is clean.
QUALITY_PLANTED = {
    "too-dark": ["dark.png", "dark16.png"],
    "too-light": ["light.png", "light16.png"],
    "low-information": ["flat.png", "two_level.png"],
    "blurry": ["blur_bright.png", "blur_dark.png"],
    "odd-aspect-ratio": ["wide.png"],
    "odd-size": ["small.png"],
    "grayscale-as-rgb": ["gray_rgb.png"],
}
QUALITY_GROUPS = {
    "near-duplicates": [
        ["base03.png", "near_noise.png"],
        ["base07.jpg", "near_jpeg.jpg"],
        ["base11.png", "near_shift.png"],
        ["base15.png", "near_bright.png"],
        ["base19.png", "near_shift3.png"],
    ],
    "exact-duplicates": [["base05.png", "copy_of_base05.png"]],
}
QUALITY_SIDE = 96


def texture(rng, height, width):
    """A zero-mean, unit-std field: smooth blobs at several scales (bilinear upsampling of
    coarse random grids) over fine grain, like a photograph's content."""
    field = np.zeros((height, width))
    for cell, weight in [(32, 1.0), (16, 0.7), (8, 0.45), (4, 0.3), (2, 0.15)]:
        grid = rng.normal(0, 1, (height // cell + 2, width // cell + 2)).astype(np.float32)
        up = Image.fromarray(grid, mode="F").resize((width + 2 * cell, height + 2 * cell),
                                                    Image.BILINEAR)
        field += weight * np.asarray(up, np.float64)[cell:cell + height, cell:cell + width]
    return (field - field.mean()) / field.std()


def picture(rng, mean, contrast, height=QUALITY_SIDE, width=QUALITY_SIDE, colour=False):
    """A natural-looking picture on [0, 1]: texture, a few shapes and grain, all scaled by
    `contrast` (as exposure scales a photograph, noise included); colour pictures get a tint
    and channel-specific detail so R, G and B differ."""
    grain = 0.1 * contrast
    from PIL import ImageDraw
    base = texture(rng, height, width)
    shapes = Image.new("F", (width, height), 0.0)
    draw = ImageDraw.Draw(shapes)
    for _ in range(rng.integers(2, 5)):
        x0, y0 = rng.integers(0, width - 8), rng.integers(0, height - 8)
        x1 = min(width, x0 + rng.integers(6, max(7, width // 2)))
        y1 = min(height, y0 + rng.integers(6, max(7, height // 2)))
        value = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.6))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=value)
    base = base + np.asarray(shapes, np.float64)
    base = (base - base.mean()) / base.std()
    if not colour:
        values = mean + contrast * base + rng.normal(0, grain, base.shape)
        return np.clip(values, 0, 1)
    tint = rng.uniform(0.8, 1.2, 3)
    channels = []
    for c in range(3):
        detail = texture(rng, height, width)
        values = mean + contrast * (0.8 * base + 0.3 * detail) * tint[c]
        channels.append(values + rng.normal(0, grain, base.shape))
    return np.clip(np.stack(channels, axis=-1), 0, 1)


def to8(values):
    return np.round(values * 255).astype(np.uint8)


def to16(values):
    return np.round(values * 65535).astype(np.uint16)


def luminance(array):
    """Luminance on [0, 1] as glassbox computes it: Rec. 601 weights, dtype's range."""
    top = 65535.0 if array.dtype == np.uint16 else 255.0
    a = array.astype(np.float64)
    if a.ndim == 3 and a.shape[2] >= 3:
        a = 0.299 * a[:, :, 0] + 0.587 * a[:, :, 1] + 0.114 * a[:, :, 2]
    elif a.ndim == 3:
        a = a[:, :, 0]
    return a * (1.0 / top)  # as glassbox multiplies, so histogram bins agree to the last bit


def phash(lum):
    """The 64-bit DCT perceptual hash glassbox computes: box-average to 32x32, DCT-II,
    8x8 lowest frequencies, bits above their median, row-major, MSB first."""
    def spans(n):
        return [(i * n // 32, max((i + 1) * n // 32, i * n // 32 + 1)) for i in range(32)]
    small = np.array([[lum[y0:y1, x0:x1].mean() for x0, x1 in spans(lum.shape[1])]
                      for y0, y1 in spans(lum.shape[0])])
    k, n = np.arange(8)[:, None], np.arange(32)[None, :]
    cosines = np.cos(np.pi / 32 * (n + 0.5) * k)
    coefficients = (cosines @ small @ cosines.T).ravel()
    bits = coefficients > np.median(coefficients)
    return "%016x" % int("".join("1" if b else "0" for b in bits), 2)


def picture_facts(array):
    lum = luminance(array)
    # Nearest of 256 levels, halves rounded up (Rust's round() on non-negative values).
    counts = np.bincount(np.clip(np.floor(lum * 255 + 0.5), 0, 255).astype(np.int64).ravel(),
                         minlength=256)
    p = counts[counts > 0] / lum.size
    return {
        "brightness": float(lum.mean()),
        "entropy_bits": float(-(p * np.log2(p)).sum()),
        "phash": phash(lum),
    }


def make_quality(out, rng):
    def save(name, values, bits=8):
        array = to16(values) if bits == 16 else to8(values)
        path = os.path.join(out, name)
        if name.endswith(".jpg"):
            Image.fromarray(array).save(path, quality=95)
        else:
            Image.fromarray(array).save(path)
        return array

    saved = {}
    # Brightness and contrast vary independently: a blur score that follows either (as the
    # plain Laplacian variance does) flags the sharp low-contrast pictures.
    means = np.linspace(0.3, 0.7, 24)
    contrasts = np.linspace(0.04, 0.2, 24)
    rng.shuffle(means)
    rng.shuffle(contrasts)
    for i, (mean, contrast) in enumerate(zip(means, contrasts)):
        colour = i % 2 == 1
        name = f"base{i:02d}.jpg" if i == 7 else f"base{i:02d}.png"
        saved[name] = save(name, picture(rng, mean, contrast, colour=colour))
    # Exact and near duplicates of base pictures.
    with open(os.path.join(out, "base05.png"), "rb") as f:
        copy = f.read()
    with open(os.path.join(out, "copy_of_base05.png"), "wb") as f:
        f.write(copy)
    noisy = saved["base03.png"].astype(np.float64) + rng.normal(0, 3, saved["base03.png"].shape)
    saved["near_noise.png"] = save("near_noise.png", np.clip(noisy, 0, 255) / 255)
    decoded = np.asarray(Image.open(os.path.join(out, "base07.jpg")), np.float64)
    saved["near_jpeg.jpg"] = save("near_jpeg.jpg", decoded / 255)  # re-encoded
    shifted = np.concatenate([saved["base11.png"][:, :1], saved["base11.png"][:, :-1]], axis=1)
    saved["near_shift.png"] = save("near_shift.png", shifted / 255)
    # Three columns and two rows: the hashes drift apart, the 8x8 thumbnails stay close.
    moved = np.roll(np.roll(saved["base19.png"], 3, axis=1), 2, axis=0)
    moved[:, :3] = saved["base19.png"][:, :1]
    moved[:2] = moved[2:3]
    saved["near_shift3.png"] = save("near_shift3.png", moved / 255)
    brighter = np.clip(saved["base15.png"].astype(np.int64) + 2, 0, 255)
    saved["near_bright.png"] = save("near_bright.png", brighter / 255)
    # One or two pictures per problem, each from fresh content.
    saved["dark.png"] = save("dark.png", picture(rng, 0.07, 0.03, colour=True))
    saved["dark16.png"] = save("dark16.png", picture(rng, 0.06, 0.025), bits=16)
    saved["light.png"] = save("light.png", picture(rng, 0.92, 0.025))
    saved["light16.png"] = save("light16.png", picture(rng, 0.93, 0.02), bits=16)
    # On the 16-bit scale this one is mid-gray; read as 0..255 it would be all white.
    saved["normal16.png"] = save("normal16.png", picture(rng, 0.5, 0.12), bits=16)
    flat = 128 + rng.integers(-1, 2, (QUALITY_SIDE, QUALITY_SIDE))
    saved["flat.png"] = save("flat.png", flat / 255)
    binary = texture(rng, QUALITY_SIDE, QUALITY_SIDE) > 0.3
    saved["two_level.png"] = save("two_level.png", np.where(binary, 200, 40) / 255)
    for name, mean, contrast, colour in [("blur_dark.png", 0.3, 0.1, False),
                                         ("blur_bright.png", 0.7, 0.2, True)]:
        sharp = to8(picture(rng, mean, contrast, colour=colour))
        blurred = Image.fromarray(sharp).filter(ImageFilter.GaussianBlur(radius=3))
        blurred.save(os.path.join(out, name))
        saved[name] = np.asarray(blurred)
    saved["wide.png"] = save("wide.png", picture(rng, 0.5, 0.12, height=32, width=96))
    saved["small.png"] = save("small.png", picture(rng, 0.45, 0.12, height=32, width=32,
                                                   colour=True))
    gray = to8(picture(rng, 0.55, 0.12))
    saved["gray_rgb.png"] = save("gray_rgb.png", np.stack([gray] * 3, axis=-1) / 255)
    facts = {}
    for name in sorted(saved):
        if name.endswith(".png"):
            facts[name] = picture_facts(np.asarray(Image.open(os.path.join(out, name))))
    files = sorted(n for n in os.listdir(out) if os.path.isfile(os.path.join(out, n)))
    return {"planted": QUALITY_PLANTED, "groups": QUALITY_GROUPS, "files": files, "facts": facts}


def make_html(out, rng):
    plan = make_planted(out, rng)
    x, y, z = np.meshgrid(np.arange(10), np.arange(12), np.arange(8), indexing="ij")
    las = (x * 40 + y * 3 + z).astype(np.int16)
    las[2, 3, 4] = 2000
    nifti(os.path.join(out, "las.nii.gz"), las, np.diag([-2.0, 2.0, 3.0, 1.0]))
    nifti(os.path.join(out, "ras.nii.gz"), las, np.diag([2.0, 2.0, 3.0, 1.0]))
    img = nib.load(os.path.join(out, "las.nii.gz"))
    raw = np.asanyarray(img.dataobj)
    canonical = np.asanyarray(nib.as_closest_canonical(img).dataobj)
    display = lambda v: np.flipud(v[:, :, v.shape[2] // 2].T).tolist()  # noqa: E731
    plan["las"] = {"raw": display(raw), "canonical": display(canonical),
                   "min": float(raw.min()), "max": float(raw.max())}
    return plan


def header_facts(paths):
    out = {}
    for path in paths:
        # Plain NIfTI views, also of CIFTI files (nib.load would give a Cifti2Image).
        try:
            img = nib.Nifti1Image.from_filename(path)
        except Exception:
            img = nib.Nifti2Image.from_filename(path)
        hdr = img.header
        # nibabel moves scl_slope/scl_inter into the array proxy on load; read them as stored.
        with nib.openers.ImageOpener(path) as f:
            stored = type(hdr).from_fileobj(f)
        out[path] = {
            "voxel_size": [float(z) for z in hdr.get_zooms()],
            "orientation": "".join(nib.aff2axcodes(img.affine)),
            "qform_code": int(hdr["qform_code"]),
            "sform_code": int(hdr["sform_code"]),
            "affine": img.affine.tolist(),
            "scl_slope": None if np.isnan(stored["scl_slope"]) else float(stored["scl_slope"]),
            "scl_inter": None if np.isnan(stored["scl_inter"]) else float(stored["scl_inter"]),
            "dim": list(img.shape),
        }
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "header-facts":
        json.dump(header_facts(argv[2:]), sys.stdout)
        return 0
    kind, out = argv[1], argv[2]
    os.makedirs(os.path.join(out, "sub"), exist_ok=True)
    rng = np.random.default_rng(SEED)
    makers = {
        "stats": make_stats,
        "clean": lambda o, r: {"files": clean_images(o, r)},
        "planted": make_planted,
        "nifti-clean": lambda o, r: make_nifti_clean(o, r) or {},
        "nifti-planted": make_nifti_planted,
        "bad": make_bad,
        "quality": make_quality,
        "xray": make_xray,
        "xray-clean": lambda o, r: make_xray(o, r, tagged=0),
        "xray16": make_xray16,
        "xray-sizes": lambda o, r: make_xray(o, r, tagged=15, count=45, corner="bottom-right", sizes=XRAY_SIZES),
        "xray-sizes-tl": lambda o, r: make_xray(o, r, tagged=15, count=45, sizes=XRAY_SIZES),
        "derm": make_derm,
        "derm-clean": lambda o, r: make_derm(o, r, tagged=0),
        "xray-sizes-clean": lambda o, r: make_xray(o, r, tagged=0, count=45, sizes=XRAY_SIZES),
        "masks": make_masks,
        "histogram": make_histogram,
        "html": make_html,
    }
    if kind not in makers:
        print(f"unknown set {kind!r}", file=sys.stderr)
        return 2
    result = makers[kind](out, rng)
    if not os.listdir(os.path.join(out, "sub")):
        os.rmdir(os.path.join(out, "sub"))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
