#!/usr/bin/env python3
"""Write the small input files glassbox-run's reader and recipe tests use.

Run with the project venv (scripts/setup-python.sh installs numpy, pillow, scikit-image,
nibabel):

    .venv/bin/python scripts/make_input_fixtures.py

Deterministic (seeded); re-running rewrites the same files.

Outputs, all under fixtures/inputs/
  images/NAME.EXT               crops of scikit-image's camera, astronaut and coins; 8 and 16 bit,
                                gray, gray+alpha, RGB, RGBA; PNG, JPEG, TIFF, BMP
  images/NAME.EXT.expected.npy  what PIL (or, for the hand-encoded 16-bit RGB PNG, the source
                                array) reads, always [H, W, C] in C order
  arrays/NAME.npy, several.npz  every numeric dtype, C and Fortran order, big-endian
  arrays/manifest.json          per file: dtype, shape and the values in C order (plain JSON,
                                so the .npy reader is not checked against itself)
  nifti/NAME.nii[.gz]           volumes in RAS, LAS, LPS, PIR and an oblique orientation,
                                scaled ints, 4-D, big-endian, NIfTI-2, a bad pixdim[0]
  bad/*                         files every reader must refuse with a clear error
"""
import gzip
import json
import os
import struct
import zlib

import nibabel as nib
import numpy as np
import skimage.data
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "fixtures", "inputs")


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def hwc(a):
    a = np.asarray(a)
    return np.ascontiguousarray(a[:, :, None] if a.ndim == 2 else a)


def save_image(name, array, mode=None, **options):
    """Write with PIL and store what PIL reads back as NAME.expected.npy."""
    p = path("images", name)
    img = Image.fromarray(array) if mode is None else Image.fromarray(array, mode)
    img.save(p, **options)
    np.save(p + ".expected.npy", hwc(np.asarray(Image.open(p))))


def png_16bit_rgb(name, array):
    """PIL cannot write 16-bit RGB PNGs: encode one by hand (filter 0, big-endian samples)."""
    h, w, c = array.shape
    color_type = {3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    p = path("images", name)
    with open(p, "wb") as f:
        f.write(png)
    np.save(p + ".expected.npy", hwc(array))


def images():
    rng = np.random.default_rng(0)
    camera = skimage.data.camera()[200:248, 220:284]  # 48 x 64 gray
    astronaut = skimage.data.astronaut()[60:100, 180:236]  # 40 x 56 RGB
    coins = skimage.data.coins()[100:136, 100:150]  # 36 x 50 gray
    alpha = np.tile(np.linspace(0, 255, astronaut.shape[1]).astype(np.uint8), (astronaut.shape[0], 1))

    save_image("camera_gray8.png", camera)
    save_image("coins_gray8.png", coins)
    save_image("astronaut_rgb8.png", astronaut)
    save_image("astronaut_rgba8.png", np.dstack([astronaut, alpha]))
    save_image("camera_gray_alpha8.png", np.dstack([camera, camera[::-1]]), "LA")
    save_image("astronaut_rgb8.bmp", astronaut)
    save_image("astronaut_rgb8.tif", astronaut)
    save_image("camera_gray8.tif", camera)
    save_image("astronaut_rgb8.jpg", astronaut, quality=95)
    save_image("camera_gray8.jpeg", camera, quality=95)

    # 16-bit: the full range, with low bits that an 8-bit path would lose.
    camera16 = (camera.astype(np.uint16) * 257 + rng.integers(0, 200, camera.shape)).astype(np.uint16)
    save_image("camera_gray16.png", camera16)
    save_image("camera_gray16.tif", camera16)
    astronaut16 = (astronaut.astype(np.uint16) * 257 + rng.integers(0, 200, astronaut.shape)).astype(np.uint16)
    png_16bit_rgb("astronaut_rgb16.png", astronaut16)
    png_16bit_rgb("astronaut_rgba16.png", np.dstack([astronaut16, (alpha.astype(np.uint16) * 257)]))

    # 32-bit float gray TIFF (values outside [0, 1] on purpose).
    save_image("coins_float32.tif", (coins.astype(np.float32) / 100.0 - 0.5), "F")


def arrays():
    manifest = {}

    def save(name, a):
        p = path("arrays", name)
        np.save(p, a, allow_pickle=False)
        c = a.copy(order="C")  # (np.ascontiguousarray makes a 0-d array 1-d)
        manifest[name] = {
            "dtype": c.dtype.newbyteorder("=").name,
            "shape": list(c.shape),
            "values": [float(v) for v in c.reshape(-1).astype(np.float64)],
        }

    base = np.arange(60, dtype=np.float64).reshape(3, 4, 5) - 20.5
    for dtype in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
        values = base if dtype[0] == "f" else np.abs(np.round(base)) if dtype[0] == "u" else np.round(base)
        save(f"c_{dtype}.npy", values.astype("<" + dtype))
    save("c_bool.npy", (np.arange(60).reshape(3, 4, 5) % 3) == 0)
    save("fortran_f4.npy", np.asfortranarray(base.astype("<f4")))
    save("fortran_i2.npy", np.asfortranarray(np.round(base).astype("<i2")))
    save("fortran_4d_f8.npy", np.asfortranarray(np.arange(2 * 3 * 4 * 5, dtype="<f8").reshape(2, 3, 4, 5)))
    save("big_endian_f4.npy", base.astype(">f4"))
    save("big_endian_i4_fortran.npy", np.asfortranarray(np.round(base).astype(">i4")))
    save("scalar_f8.npy", np.array(3.25))
    save("image_hwc_u8.npy", (np.arange(4 * 6 * 3) % 256).astype(np.uint8).reshape(4, 6, 3))

    several = {
        "first": np.arange(12, dtype=np.float32).reshape(3, 4),
        "second": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        "third": np.array([True, False, True]),
    }
    np.savez_compressed(path("arrays", "several.npz"), **several)
    for key, a in several.items():
        c = np.ascontiguousarray(a)
        manifest[f"several.npz/{key}"] = {
            "dtype": c.dtype.name,
            "shape": list(c.shape),
            "values": [float(v) for v in c.reshape(-1).astype(np.float64)],
        }
    with open(path("arrays", "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=0)


def rotation_z(degrees):
    t = np.radians(degrees)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


def nifti():
    rng = np.random.default_rng(1)
    shape = (5, 6, 7)
    ints = rng.integers(-300, 300, shape).astype(np.int16)

    def affine(columns, origin=(10.0, -20.0, 30.0)):
        a = np.eye(4)
        a[:3, :3] = np.array(columns, dtype=float).T  # columns: world vector of each voxel axis
        a[:3, 3] = origin
        return a

    def write(name, image):
        nib.save(image, path("nifti", name))

    ras = affine([(2, 0, 0), (0, 3, 0), (0, 0, 4)])
    img = nib.Nifti1Image(np.abs(ints).astype(np.uint8), ras)
    write("ras_uint8.nii", img)

    las = affine([(-2, 0, 0), (0, 3, 0), (0, 0, 4)])
    # int16 with scl_slope 2.5, scl_inter -10 (patched into the bytes: nibabel's writer
    # recomputes scaling on save).
    raw = bytearray(nib.Nifti1Image(ints, las).to_bytes())
    struct.pack_into("<ff", raw, 112, 2.5, -10.0)
    with gzip.GzipFile(path("nifti", "las_int16_scaled.nii.gz"), "wb", mtime=0) as f:
        f.write(bytes(raw))

    lps = affine([(-1, 0, 0), (0, -1, 0), (0, 0, 1.5)])
    img = nib.Nifti1Image(rng.standard_normal(shape).astype(np.float32), None)
    img.set_qform(lps, code=1)
    img.set_sform(None, code=0)
    write("lps_float32_qform.nii", img)

    pir = affine([(0, -2, 0), (0, 0, -3), (1.5, 0, 0)])
    write("pir_int16.nii.gz", nib.Nifti1Image(ints, pir))

    oblique = np.eye(4)
    oblique[:3, :3] = rotation_z(20) @ np.diag([-1.0, 2.0, 2.5])
    oblique[:3, 3] = (4, 5, 6)
    write("oblique_float64.nii", nib.Nifti1Image(rng.standard_normal(shape), oblique))

    data4d = rng.integers(0, 1000, shape + (3,)).astype(np.uint16)
    write("las_4d_uint16.nii.gz", nib.Nifti1Image(data4d, las))

    header = nib.Nifti1Header(endianness=">")
    img = nib.Nifti1Image(rng.standard_normal(shape).astype(np.float32), lps, header)
    write("lps_big_endian.nii", img)

    img = nib.Nifti2Image(ints.astype(np.int32), lps)
    write("lps_nifti2.nii", img)

    # Invalid qfac pixdim[0] = 0 with only a qform (patched into the bytes: nibabel refuses to
    # write it). The nifti crate's qform_affine would panic; nibabel reads qfac as 1.
    img = nib.Nifti1Image(ints, pir)
    img.set_qform(pir, code=1)
    img.set_sform(None, code=0)
    raw = bytearray(img.to_bytes())
    struct.pack_into("<f", raw, 76, 0.0)
    with open(path("nifti", "pir_bad_qfac.nii"), "wb") as f:
        f.write(bytes(raw))

    img = nib.Nifti1Image(ints, las)
    img.set_qform(None, code=0)
    img.set_sform(None, code=0)
    write("no_xform_base_affine.nii", img)


def nifti1_header(dims, datatype=4, bitpix=16):
    h = nib.Nifti1Header()
    h.set_data_dtype(np.int16)
    raw = bytearray(h.binaryblock)
    struct.pack_into("<8h", raw, 40, len(dims), *dims, *([1] * (7 - len(dims))))
    struct.pack_into("<hh", raw, 70, datatype, bitpix)
    struct.pack_into("<f", raw, 108, 352.0)  # vox_offset
    return bytes(raw) + b"\0\0\0\0"


def bad():
    good_png = open(path("images", "camera_gray8.png"), "rb").read()
    with open(path("bad", "truncated.png"), "wb") as f:
        f.write(good_png[: len(good_png) // 2])
    corrupt = bytearray(good_png)
    idat = corrupt.index(b"IDAT") + 8
    corrupt[idat : idat + 200] = bytes(range(200))
    with open(path("bad", "corrupt.png"), "wb") as f:
        f.write(corrupt)
    with open(path("bad", "png_named.jpg"), "wb") as f:
        f.write(good_png)
    with open(path("bad", "empty.png"), "wb") as f:
        pass
    with open(path("bad", "notes.txt"), "w") as f:
        f.write("not an input\n")

    def npy(name, header_dict, data):
        text = repr(header_dict).encode("latin1")
        text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
        with open(path("bad", name), "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data)

    # 10^12 float32 elements declared, 16 bytes present.
    npy("lying_shape.npy", {"descr": "<f4", "fortran_order": False, "shape": (1000000, 1000000)}, bytes(16))
    npy("overflow_shape.npy", {"descr": "<f8", "fortran_order": False, "shape": (2**40, 2**40, 2**40)}, bytes(16))
    npy("short_data.npy", {"descr": "<f4", "fortran_order": False, "shape": (10, 10)}, bytes(4 * 50))
    npy("complex.npy", {"descr": "<c8", "fortran_order": False, "shape": (2,)}, bytes(16))

    # An .npz whose member lies about its shape.
    import zipfile

    buf = open(path("bad", "lying_shape.npy"), "rb").read()
    with zipfile.ZipFile(path("bad", "lying_member.npz"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.npy", buf)

    # NIfTI headers claiming 10^12 voxels of int16, with almost no data.
    huge = nifti1_header([10000, 10000, 10000]) + bytes(1000)
    with open(path("bad", "huge_dims.nii"), "wb") as f:
        f.write(huge)
    with gzip.open(path("bad", "huge_dims.nii.gz"), "wb") as f:
        f.write(huge)
    # 4 GiB declared (under the cap), gzip holds 1000 voxels: must stop at the end of the stream.
    with gzip.open(path("bad", "short_data.nii.gz"), "wb") as f:
        f.write(nifti1_header([2048, 1024, 1024]) + bytes(2000))
    # A good volume, gzip cut in the middle of the stream.
    good = open(path("nifti", "las_int16_scaled.nii.gz"), "rb").read()
    with open(path("bad", "truncated.nii.gz"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(path("bad", "not_nifti.nii"), "wb") as f:
        f.write(b"hello" * 100)


if __name__ == "__main__":
    images()
    arrays()
    nifti()
    bad()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")
