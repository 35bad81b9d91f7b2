#!/usr/bin/env python3
"""glassbox audit against CleanVision on generated PNGs with planted problems, side by side.

    .venv/bin/python bench/bench_audit_png.py GLASSBOX_BIN [--cleanvision-python
        .venv-bench/bin/python] [--dir work/bench-png] [--images 2000] [--runs 3]

Generates (seeded, once per --dir; regenerated when the parameters change) --images RGB
128x128 PNGs into DIR/images: value-noise backgrounds and gradients with random shapes and
fine noise, among them planted exact duplicates (byte copies), near duplicates (slight noise,
a 2-pixel shift, a JPEG re-encode, a small brightness change), dark (12% of the values),
light (washed out to 4% or 8% of the range below white) and blurred
(GaussianBlur radius 3) images and a few low-information ones (a flat colour, half of them
with ±1 noise).
DIR/planted.json lists them. Then times `GLASSBOX audit DIR/images --json` against
`python_cleanvision.py DIR/images` (`Imagelab(data_path=...).find_issues()`), interleaved, one
untimed run each first (which also records what each tool flagged), and prints the medians of
the whole-process wall-clock times, their ratio and, per planted kind, found/planted for both
tools, plus how many clean files each flagged for that kind (false alarms).

glassbox's findings are matched by rule name, CleanVision's by its `is_<type>_issue` columns.
bench/setup-cleanvision.sh makes the CleanVision venv.
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIZE = 128
SEED = 4
PLANTED = {"exact": 20, "near": 20, "dark": 20, "light": 20, "blurry": 30, "low_information": 10}
# Planted kind -> (glassbox rule, CleanVision issue type).
KINDS = {
    "exact": ("exact-duplicates", "exact_duplicates"),
    "near": ("near-duplicates", "near_duplicates"),
    "dark": ("too-dark", "dark"),
    "light": ("too-light", "light"),
    "blurry": ("blurry", "blurry"),
    "low_information": ("low-information", "low_information"),
}


def natural(rng):
    """A picture-like RGB image: smooth value noise or a gradient, random shapes, fine noise."""
    if rng.random() < 0.5:
        coarse = rng.uniform(40, 215, (rng.integers(3, 9), rng.integers(3, 9), 3)).astype(np.uint8)
        base = np.asarray(Image.fromarray(coarse).resize((SIZE, SIZE), Image.BICUBIC), float)
    else:
        t = np.linspace(0, 1, SIZE)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * t[None, :] + np.sin(angle) * t[:, None]
        a, b = rng.uniform(40, 215, 3), rng.uniform(40, 215, 3)
        base = a + (b - a) * ((ramp - ramp.min()) / np.ptp(ramp))[..., None]
    if rng.random() < 0.5:  # a texture: a few sinusoids
        y, x = np.mgrid[0:SIZE, 0:SIZE]
        for _ in range(rng.integers(1, 4)):
            fx, fy = rng.uniform(-0.4, 0.4, 2)
            base += rng.uniform(8, 25) * np.sin(fx * x + fy * y + rng.uniform(0, 6.3))[..., None]
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(2, 7)):
        x0, y0 = rng.integers(-20, SIZE, 2)
        w, h = rng.integers(10, 70, 2)
        box = [int(x0), int(y0), int(x0 + w), int(y0 + h)]
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = rng.integers(0, 3)
        if shape == 0:
            draw.ellipse(box, fill=colour)
        elif shape == 1:
            draw.rectangle(box, fill=colour)
        else:
            pts = [tuple(int(v) for v in rng.integers(0, SIZE, 2)) for _ in range(3)]
            draw.polygon(pts, fill=colour)
    array = np.asarray(image, float) + rng.normal(0, 6, (SIZE, SIZE, 3))
    return np.clip(array, 0, 255).astype(np.uint8)


def near_copy(array, rng, variant):
    if variant == 0:  # slight noise
        return np.clip(array + rng.normal(0, 3, array.shape), 0, 255).astype(np.uint8)
    if variant == 1:  # shifted by 2 pixels, edge repeated
        return np.pad(array, ((2, 0), (2, 0), (0, 0)), mode="edge")[:SIZE, :SIZE]
    if variant == 2:  # JPEG re-encode
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, "JPEG", quality=90)
        return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return np.clip(array.astype(int) + 8, 0, 255).astype(np.uint8)  # a little brighter


def generate(out, count):
    stamp = os.path.join(out, "planted.json")
    params = {"seed": SEED, "count": count, "planted": PLANTED, "version": 2}
    if os.path.exists(stamp) and json.load(open(stamp)).get("params") == params:
        return json.load(open(stamp))
    shutil.rmtree(out, ignore_errors=True)
    images = os.path.join(out, "images")
    os.makedirs(images)
    rng = np.random.default_rng(SEED)
    kinds = [k for k, n in PLANTED.items() for _ in range(n)]
    kinds += ["clean"] * (count - len(kinds))
    order = rng.permutation(count)
    slots = {i: kinds[j] for i, j in enumerate(order)}
    name = lambda i: f"img{i:04d}.png"  # noqa: E731
    clean = [i for i in range(count) if slots[i] == "clean"]
    arrays = {}
    seen = {k: 0 for k in PLANTED}  # how many of each kind so far, to alternate variants
    for i in range(count):
        kind = slots[i]
        if kind in ("exact", "near"):
            continue
        odd = kind in seen and seen[kind] % 2 == 1
        seen[kind] = seen.get(kind, 0) + 1
        if kind == "low_information":  # a flat colour, every other one with ±1 noise
            colour = rng.integers(30, 220, 3)
            noise = rng.integers(-1, 2, (SIZE, SIZE, 3)) * odd
            arrays[i] = np.clip(colour + noise, 0, 255).astype(np.uint8)
            continue
        array = natural(rng)
        if kind == "dark":
            array = (array * 0.12).astype(np.uint8)
        elif kind == "light":  # washed out to 4% or 8% of the range below white
            fade = 0.08 if odd else 0.04
            array = (255 - (255 - array.astype(float)) * fade).astype(np.uint8)
        elif kind == "blurry":
            array = np.asarray(Image.fromarray(array).filter(ImageFilter.GaussianBlur(3)))
        arrays[i] = array
    for i, array in arrays.items():
        Image.fromarray(array).save(os.path.join(images, name(i)))
    planted = {k: [] for k in PLANTED}
    sources = {k: [] for k in PLANTED}
    variant = 0
    for i in range(count):
        kind = slots[i]
        if kind not in ("exact", "near"):
            continue
        source = int(rng.choice(clean))
        if kind == "exact":
            shutil.copy(os.path.join(images, name(source)), os.path.join(images, name(i)))
        else:
            copy = near_copy(arrays[source], rng, variant % 4)
            variant += 1
            Image.fromarray(copy).save(os.path.join(images, name(i)))
        sources[kind].append(name(source))
    for i in range(count):
        if slots[i] != "clean":
            planted[slots[i]].append(name(i))
    facts = {"params": params, "planted": planted, "sources": sources}
    with open(stamp, "w") as f:
        json.dump(facts, f, indent=1)
    return facts


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def glassbox_flagged(report):
    flagged = {}
    for finding in report["findings"]:
        flagged.setdefault(finding["rule"], set()).update(finding.get("samples", []))
    return flagged


def score(flagged, facts, tool_index):
    """Per planted kind: (found, planted, clean files flagged for that kind). Planted files of
    another kind do not count as false alarms (a washed-out image has little information
    too); the originals of duplicates do not either."""
    rows = {}
    all_planted = {name for names in facts["planted"].values() for name in names}
    for kind, names in KINDS.items():
        hits = set(flagged.get(names[tool_index], []))
        planted = set(facts["planted"][kind])
        originals = set(facts["sources"][kind])
        if kind == "near":  # exact copies are near copies too
            originals |= set(facts["sources"]["exact"])
        rows[kind] = (len(hits & planted), len(planted), len(hits - all_planted - originals))
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("glassbox")
    p.add_argument("--cleanvision-python", default=os.path.join(REPO, ".venv-bench/bin/python"))
    p.add_argument("--dir", default=os.path.join(REPO, "work/bench-png"))
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    facts = generate(args.dir, args.images)
    images = os.path.join(args.dir, "images")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    version = subprocess.run([args.cleanvision_python, "-c",
                              "import cleanvision; print(cleanvision.__version__)"],
                             check=True, capture_output=True, text=True).stdout.strip()
    print(f"Machine: {os.cpu_count()} CPUs, {cpu}; CleanVision {version}\n")
    size_mb = sum(os.path.getsize(os.path.join(images, f)) for f in os.listdir(images)) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        cleanvision_out = os.path.join(tmp, "flagged.json")
        commands = {
            "glassbox": [args.glassbox, "audit", images, "--json"],
            "cleanvision": [args.cleanvision_python, os.path.join(HERE, "python_cleanvision.py"),
                            images],
        }
        # Untimed first runs, recording what each tool flags.
        report = json.loads(subprocess.run(commands["glassbox"], check=True, capture_output=True,
                                           text=True).stdout)
        subprocess.run(commands["cleanvision"] + [cleanvision_out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(cleanvision_out) as f:
            cleanvision_flagged = json.load(f)
    glassbox_rules = glassbox_flagged(report)
    times = {k: [] for k in commands}
    for _ in range(args.runs):
        for key, cmd in commands.items():
            times[key].append(timed(cmd))
    m = {k: statistics.median(v) for k, v in times.items()}
    print("| images | MB | glassbox median s | CleanVision median s | glassbox/CleanVision |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {len(os.listdir(images))} | {size_mb:.0f} | {m['glassbox']:.2f} | "
          f"{m['cleanvision']:.2f} | {m['glassbox'] / m['cleanvision']:.2f} |\n")
    ours, theirs = score(glassbox_rules, facts, 0), score(cleanvision_flagged, facts, 1)
    print("| planted kind | glassbox rule | found/planted | clean files flagged | "
          "CleanVision issue | found/planted | clean files flagged |")
    print("|---|---|---:|---:|---|---:|---:|")
    for kind, (rule, issue) in KINDS.items():
        a, b = ours[kind], theirs[kind]
        rule_text = rule if rule in glassbox_rules else f"{rule} (no finding)"
        print(f"| {kind} | {rule_text} | {a[0]}/{a[1]} | {a[2]} | {issue} | {b[0]}/{b[1]} | {b[2]} |")
    other = sorted(set(glassbox_rules) - {r for r, _ in KINDS.values()})
    print(f"\nglassbox's other findings: " + ", ".join(
        f"{r} ({len(glassbox_rules[r])} files)" for r in other))
    other = sorted(set(cleanvision_flagged) - {i for _, i in KINDS.values()})
    print("CleanVision's other issues: " + ", ".join(
        f"{i} ({len(cleanvision_flagged[i])} files)" for i in other))
    for key, values in times.items():
        print(f"{key}: " + " ".join(f"{v:.2f}" for v in values), file=sys.stderr)


if __name__ == "__main__":
    main()
