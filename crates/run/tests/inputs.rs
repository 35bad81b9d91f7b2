//! Input readers against numpy, PIL and nibabel reading the same files, and every bad input.
//!
//! Fixtures: `scripts/make_input_fixtures.py` (images with PIL's reading stored beside them,
//! arrays with a JSON manifest of their values, NIfTI volumes in several orientations, bad
//! files). NIfTI facts come from nibabel at test time through `scripts/input_facts.py`, also
//! for the files shipped in the nibabel wheel's `tests/data`.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox_run::inputs::{self, nifti, Detail, Format, InputError, Loaded};
use glassbox_run::Array;
use glassbox_tensor::DType;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn fixture(relative: &str) -> PathBuf {
    repo().join("fixtures/inputs").join(relative)
}

fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh first",
        python.display()
    );
    python
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn values(array: &Array) -> Vec<f64> {
    let mut out = Vec::new();
    glassbox_tensor::for_each_le_value(array.dtype, &array.bytes, |v| out.push(v));
    out
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

// ------------------------------------------------------------------------------------------
// Images
// ------------------------------------------------------------------------------------------

#[test]
fn every_image_matches_what_pil_reads() {
    let mut seen = Vec::new();
    for path in files_in(&fixture("images")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".npy") {
            continue;
        }
        let loaded = inputs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let expected =
            inputs::read(&PathBuf::from(format!("{}.expected.npy", path.display()))).unwrap();
        assert_eq!(loaded.array.shape, expected.array.shape, "{name}");
        assert_eq!(loaded.array.dtype, expected.array.dtype, "{name}");
        let Detail::Image(detail) = &loaded.detail else {
            panic!("{name}: not an image detail")
        };
        assert_eq!(detail.channels, loaded.array.shape[2], "{name}");
        let diff = max_abs_diff(&values(&loaded.array), &values(&expected.array));
        if loaded.format == Format::Jpeg {
            // Two JPEG decoders (zune-jpeg, libjpeg) may round IDCT output differently.
            assert!(diff <= 3.0, "{name}: max |diff| {diff}");
        } else {
            assert_eq!(diff, 0.0, "{name}: lossless format must be pixel-exact");
        }
        seen.push((
            loaded.format,
            loaded.array.dtype,
            detail.channels,
            detail.bit_depth,
        ));
    }
    for wanted in [
        (Format::Png, DType::U8, 1, 8),
        (Format::Png, DType::U8, 2, 8),
        (Format::Png, DType::U8, 3, 8),
        (Format::Png, DType::U8, 4, 8),
        (Format::Png, DType::U16, 1, 16),
        (Format::Png, DType::U16, 3, 16),
        (Format::Png, DType::U16, 4, 16),
        (Format::Jpeg, DType::U8, 1, 8),
        (Format::Jpeg, DType::U8, 3, 8),
        (Format::Tiff, DType::U8, 1, 8),
        (Format::Tiff, DType::U8, 3, 8),
        (Format::Tiff, DType::U16, 1, 16),
        (Format::Bmp, DType::U8, 3, 8),
    ] {
        assert!(
            seen.contains(&wanted),
            "no fixture exercised {wanted:?}; saw {seen:?}"
        );
    }
}

#[test]
fn extension_is_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let upper = dir.path().join("CAMERA.PNG");
    std::fs::copy(fixture("images/camera_gray8.png"), &upper).unwrap();
    let loaded = inputs::read(&upper).unwrap();
    assert_eq!(loaded.format, Format::Png);
    assert_eq!(loaded.array.shape, vec![48, 64, 1]);
}

// ------------------------------------------------------------------------------------------
// .npy / .npz
// ------------------------------------------------------------------------------------------

fn manifest() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(fixture("arrays/manifest.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn check_against_manifest(key: &str, entry: &Value, loaded: &Loaded) {
    assert_eq!(
        loaded.array.dtype.name(),
        entry["dtype"].as_str().unwrap(),
        "{key}"
    );
    let shape: Vec<usize> = entry["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(loaded.array.shape, shape, "{key}");
    let expected: Vec<f64> = entry["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values(&loaded.array), expected, "{key}");
}

#[test]
fn every_npy_dtype_and_order_matches_numpy() {
    let manifest = manifest();
    let mut checked = 0;
    for (key, entry) in &manifest {
        if key.contains(".npz/") {
            continue;
        }
        let loaded =
            inputs::read(&fixture(&format!("arrays/{key}"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.format, Format::Npy);
        check_against_manifest(key, entry, &loaded);
        checked += 1;
    }
    assert!(checked >= 18, "only {checked} .npy fixtures");
}

#[test]
fn fortran_order_is_transposed_to_c_order() {
    let c = inputs::read(&fixture("arrays/c_f4.npy")).unwrap();
    let f = inputs::read(&fixture("arrays/fortran_f4.npy")).unwrap();
    let Detail::Array(detail) = &f.detail else {
        panic!()
    };
    assert!(detail.fortran_order);
    assert_eq!(f.array, c.array);
    // A big-endian Fortran file: both conversions at once.
    let be = inputs::read(&fixture("arrays/big_endian_i4_fortran.npy")).unwrap();
    let c_i4 = inputs::read(&fixture("arrays/c_i4.npy")).unwrap();
    assert_eq!(be.array, c_i4.array);
}

#[test]
fn npz_gives_first_array_or_all_in_order() {
    let manifest = manifest();
    let path = fixture("arrays/several.npz");
    let first = inputs::read(&path).unwrap();
    assert_eq!(first.format, Format::Npz);
    check_against_manifest("first", &manifest["several.npz/first"], &first);
    let all = inputs::read_npz_all(&path).unwrap();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["first", "second", "third"]);
    for (name, loaded) in &all {
        check_against_manifest(name, &manifest[&format!("several.npz/{name}")], loaded);
    }
}

// ------------------------------------------------------------------------------------------
// NIfTI against nibabel
// ------------------------------------------------------------------------------------------

fn nibabel_data() -> PathBuf {
    let out = Command::new(python())
        .args(["-c", "import nibabel, os; print(os.path.join(os.path.dirname(nibabel.__file__), 'tests', 'data'))"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nibabel missing: run scripts/setup-python.sh"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Nibabel {
    facts: Value,
    raw: Vec<f64>,
    canonical: Vec<f64>,
}

fn nibabel(path: &Path) -> Nibabel {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(repo().join("scripts/input_facts.py"))
        .arg(path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| values(&inputs::read(&dir.path().join(name)).unwrap().array);
    Nibabel {
        facts: serde_json::from_slice(&out.stdout).unwrap(),
        raw: read("raw.npy"),
        canonical: read("canonical.npy"),
    }
}

fn matrix(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect()
}

fn flat(affine: &nifti::Affine) -> Vec<f64> {
    affine.iter().flatten().copied().collect()
}

fn usizes(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

fn check_nifti(path: &Path) {
    let name = path.display().to_string();
    let reference = nibabel(path);
    let facts = &reference.facts;
    let loaded = inputs::read(path).unwrap_or_else(|e| panic!("{e}"));
    let Detail::Nifti(header) = &loaded.detail else {
        panic!("{name}: no NIfTI detail")
    };
    let version = if facts["sizeof_hdr"] == 540 {
        Format::Nifti2
    } else {
        Format::Nifti1
    };
    assert_eq!(loaded.format, version, "{name}");
    assert_eq!(loaded.array.shape, usizes(&facts["shape"]), "{name}");
    assert_eq!(header.scaled, facts["scaled"].as_bool().unwrap(), "{name}");
    if header.scaled {
        assert_eq!(loaded.array.dtype, DType::F32, "{name}");
    }
    let scale = reference.raw.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    assert!(
        max_abs_diff(&values(&loaded.array), &reference.raw) <= scale * 1e-6,
        "{name}: voxel values"
    );
    assert!(
        max_abs_diff(&flat(&header.affine), &matrix(&facts["affine"])) < 1e-4,
        "{name}: affine"
    );
    assert_eq!(
        i64::from(header.qform_code),
        facts["qform_code"].as_i64().unwrap(),
        "{name}"
    );
    assert_eq!(
        i64::from(header.sform_code),
        facts["sform_code"].as_i64().unwrap(),
        "{name}"
    );
    if header.qform_code > 0 {
        assert!(
            max_abs_diff(&flat(&header.qform), &matrix(&facts["qform"])) < 1e-4,
            "{name}: qform"
        );
    }
    if header.sform_code > 0 {
        assert!(
            max_abs_diff(&flat(&header.sform), &matrix(&facts["sform"])) < 1e-4,
            "{name}: sform"
        );
    }
    let zooms: Vec<f64> = facts["zooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        max_abs_diff(&header.voxel_size, &zooms) < 1e-6,
        "{name}: voxel sizes"
    );
    assert_eq!(
        header.orientation,
        facts["axcodes"].as_str().unwrap(),
        "{name}: orientation"
    );

    let canonical = nifti::to_canonical(&loaded).unwrap_or_else(|e| panic!("{e}"));
    let Detail::Nifti(canonical_header) = &canonical.detail else {
        panic!()
    };
    assert_eq!(
        canonical.array.shape,
        usizes(&facts["canonical_shape"]),
        "{name}: canonical shape"
    );
    assert!(
        max_abs_diff(&values(&canonical.array), &reference.canonical) <= scale * 1e-6,
        "{name}: canonical voxels"
    );
    assert!(
        max_abs_diff(
            &flat(&canonical_header.affine),
            &matrix(&facts["canonical_affine"])
        ) < 1e-4,
        "{name}: canonical affine {:?} vs {}",
        canonical_header.affine,
        facts["canonical_affine"]
    );
    assert_eq!(canonical_header.orientation, "RAS", "{name}");
}

#[test]
fn generated_volumes_match_nibabel_raw_and_canonical() {
    let files = files_in(&fixture("nifti"));
    assert!(files.len() >= 10);
    let mut orientations = Vec::new();
    for path in &files {
        check_nifti(path);
        let Detail::Nifti(header) = inputs::read(path).unwrap().detail else {
            panic!()
        };
        orientations.push(header.orientation);
    }
    for wanted in ["RAS", "LAS", "LPS", "PIR"] {
        assert!(
            orientations.iter().any(|o| o == wanted),
            "no {wanted} fixture: {orientations:?}"
        );
    }
}

#[test]
fn nibabel_wheel_volumes_match_nibabel() {
    let data = nibabel_data();
    let mut checked = 0;
    for path in files_in(&data) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // CIFTI-2 (dconn) is NIfTI-2 with a non-spatial payload nibabel does not reorient.
        if !(name.ends_with(".nii") || name.ends_with(".nii.gz")) || name.contains("dconn") {
            continue;
        }
        check_nifti(&path);
        checked += 1;
    }
    assert!(
        checked >= 7,
        "only {checked} nibabel files: {}",
        data.display()
    );
}

#[test]
fn scaling_is_applied_to_float32() {
    let loaded = inputs::read(&fixture("nifti/las_int16_scaled.nii.gz")).unwrap();
    let Detail::Nifti(header) = &loaded.detail else {
        panic!()
    };
    assert_eq!((header.scl_slope, header.scl_inter), (2.5, -10.0));
    assert!(header.scaled);
    assert_eq!(loaded.array.dtype, DType::F32);
    assert_eq!(header.datatype, "int16");
    // Every value is an int16 times 2.5 minus 10.
    assert!(loaded
        .array
        .to_f32()
        .iter()
        .all(|v| ((v + 10.0) / 2.5).fract() == 0.0));
}

#[test]
fn nifti_header_serialises_with_the_audit_keys() {
    let loaded = inputs::read(&fixture("nifti/lps_float32_qform.nii")).unwrap();
    let json = serde_json::to_value(&loaded).unwrap();
    let header = &json["detail"];
    for key in [
        "voxel_size",
        "orientation",
        "qform_code",
        "sform_code",
        "affine",
        "scl_slope",
        "scl_inter",
    ] {
        assert!(header.get(key).is_some(), "missing {key} in {header}");
    }
    assert_eq!(header["orientation"], "LPS");
    assert_eq!(json["format"], "nifti1");
    assert_eq!(json["array"]["shape"], serde_json::json!([5, 6, 7]));
}

// ------------------------------------------------------------------------------------------
// Bad input
// ------------------------------------------------------------------------------------------

fn expect_error(relative: &str, phrase: &str) -> InputError {
    let path = fixture(relative);
    let error = match inputs::read(&path) {
        Ok(loaded) => panic!("{relative} was read: {:?}", loaded.array.shape),
        Err(e) => e,
    };
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "message does not name the file: {message}"
    );
    assert!(
        message.contains(phrase),
        "{relative}: expected {phrase:?} in {message:?}"
    );
    assert_eq!(error.path(), path);
    error
}

#[test]
fn bad_inputs_give_clear_errors() {
    expect_error("bad/truncated.png", "truncated");
    expect_error("bad/corrupt.png", "corrupt image");
    expect_error("bad/empty.png", "empty");
    let wrong = expect_error(
        "bad/png_named.jpg",
        "extension says JPEG but the content is PNG",
    );
    assert!(matches!(wrong, InputError::WrongExtension { .. }));
    assert!(matches!(
        expect_error("bad/notes.txt", "unsupported input extension"),
        InputError::UnsupportedExtension { .. }
    ));
    expect_error("bad/lying_shape.npy", "declares shape [1000000, 1000000]");
    expect_error("bad/overflow_shape.npy", "overflows");
    expect_error("bad/short_data.npy", "file holds only 200");
    expect_error("bad/complex.npy", "not supported: numpy dtype \"<c8\"");
    expect_error("bad/lying_member.npz", "array \"huge\"");
    expect_error("bad/huge_dims.nii", "but the file is only");
    expect_error("bad/huge_dims.nii.gz", "limit");
    expect_error("bad/short_data.nii.gz", "the file holds only 2000");
    expect_error("bad/truncated.nii.gz", "truncated or corrupt");
    expect_error("bad/not_nifti.nii", "not a NIfTI file");
    let missing = expect_error("bad/does_not_exist.png", "cannot read");
    assert!(matches!(missing, InputError::Io { .. }));
}

#[test]
fn canonical_of_a_non_nifti_input_is_an_error_not_a_panic() {
    let loaded = inputs::read(&fixture("arrays/c_f4.npy")).unwrap();
    let error = nifti::to_canonical(&loaded).unwrap_err();
    assert!(error.to_string().contains("c_f4.npy"));
}

/// Runs `inputs::read` in a child process (this test binary, re-entered through
/// `read_in_child`) under a 512 MiB address-space limit: a reader that allocated what a lying
/// header declares would abort instead of printing the error.
#[test]
fn lying_headers_stay_within_a_small_address_space() {
    let exe = std::env::current_exe().unwrap();
    for relative in [
        "bad/lying_shape.npy",
        "bad/lying_member.npz",
        "bad/huge_dims.nii",
        "bad/huge_dims.nii.gz",
        "bad/short_data.nii.gz",
    ] {
        let out = Command::new("prlimit")
            .arg(format!("--as={}", 512u64 << 20))
            .arg(&exe)
            .args([
                "--exact",
                "read_in_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GLASSBOX_READ_IN_CHILD", fixture(relative))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{relative}: child failed: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("CLEAN ERROR:"), "{relative}: {stdout}");
    }
}

/// The child side of `lying_headers_stay_within_a_small_address_space` (does nothing alone).
#[test]
fn read_in_child() {
    let Some(path) = std::env::var_os("GLASSBOX_READ_IN_CHILD") else {
        return;
    };
    match inputs::read(Path::new(&path)) {
        Ok(loaded) => panic!("read {:?}", loaded.array.shape),
        Err(e) => println!("CLEAN ERROR: {e}"),
    }
}
