//! Summaries checked against a straightforward two-pass reference, and merged halves
//! against the whole.

#![allow(clippy::unwrap_used)] // test support code outside #[test] functions

use glassbox_tensor::{DType, Histogram, Moments, Summary};
use half::{bf16, f16};
use proptest::prelude::*;

/// The textbook computation: filter finite values, two-pass mean and variance in f64.
fn reference(values: &[f64]) -> (usize, f64, f64, f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    let mean = finite.iter().sum::<f64>() / n as f64;
    let var = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (n, mean, var.sqrt(), min, max)
}

/// numpy's bin rule written the slow, obvious way: the last edge that is <= value.
fn reference_histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let edges = Histogram::with_range(lo, hi, bins).edges;
    let mut counts = vec![0u64; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        if v == edges[bins] {
            counts[bins - 1] += 1;
        } else if let Some(i) = (0..bins).find(|&i| edges[i] <= v && v < edges[i + 1]) {
            counts[i] += 1;
        }
    }
    counts
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -1e3f64..1e3,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => 1e6f64..1e7,
    ]
}

proptest! {
    #[test]
    fn moments_match_the_reference(values in prop::collection::vec(value(), 1..3000)) {
        let summary = Summary::of(&values, 16);
        let m = &summary.moments;
        let (n, mean, std, min, max) = reference(&values);
        prop_assert_eq!(m.finite as usize, n);
        prop_assert_eq!(m.count() as usize, values.len());
        prop_assert_eq!(m.nan as usize, values.iter().filter(|v| v.is_nan()).count());
        prop_assert_eq!(m.pos_inf as usize, values.iter().filter(|v| **v == f64::INFINITY).count());
        prop_assert_eq!(m.neg_inf as usize, values.iter().filter(|v| **v == f64::NEG_INFINITY).count());
        prop_assert_eq!(m.zeros as usize, values.iter().filter(|v| **v == 0.0).count());
        if n > 0 {
            prop_assert!(close(m.mean().unwrap(), mean), "{:?} vs {}", m.mean(), mean);
            prop_assert!(close(m.std().unwrap(), std), "{:?} vs {}", m.std(), std);
            prop_assert_eq!(m.min(), Some(min));
            prop_assert_eq!(m.max(), Some(max));
            let expected = reference_histogram(&values, min, max, 16);
            prop_assert_eq!(&summary.histogram.counts, &expected);
            prop_assert_eq!(summary.histogram.total() as usize, n);
        }
    }

    #[test]
    fn merged_halves_equal_the_whole(values in prop::collection::vec(value(), 0..3000), cut in 0usize..3000) {
        let cut = cut.min(values.len());
        let whole = Summary::of(&values, 8);
        let (left, right) = values.split_at(cut);
        let mut merged = Moments::of(left.iter().copied());
        merged.merge(&Moments::of(right.iter().copied()));
        let w = &whole.moments;
        prop_assert_eq!((merged.finite, merged.zeros, merged.nan, merged.pos_inf, merged.neg_inf),
                        (w.finite, w.zeros, w.nan, w.pos_inf, w.neg_inf));
        prop_assert_eq!(merged.min(), w.min());
        prop_assert_eq!(merged.max(), w.max());
        if w.finite > 0 {
            prop_assert!(close(merged.mean, w.mean));
            prop_assert!(close(merged.variance().unwrap(), w.variance().unwrap()));
            // Histograms of the parts over the whole's range add up to the whole's histogram.
            let edges = &whole.histogram.edges;
            let (lo, hi) = (edges[0], edges[edges.len() - 1]);
            let mut parts = Histogram::with_range(lo, hi, 8);
            parts.add_all(left.iter().copied());
            let mut rest = Histogram::with_range(lo, hi, 8);
            rest.add_all(right.iter().copied());
            parts.merge(&rest).unwrap();
            prop_assert_eq!(parts, whole.histogram.clone());
        }
    }
}

#[test]
fn nan_inf_empty_and_constant_tensors() {
    let empty = Summary::of::<f32>(&[], 4);
    assert_eq!(empty.moments.count(), 0);
    assert_eq!(
        (
            empty.moments.min(),
            empty.moments.mean(),
            empty.moments.std()
        ),
        (None, None, None)
    );
    assert!(empty.histogram.counts.is_empty());

    let only_bad = Summary::of(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::NAN], 4);
    assert_eq!(
        (
            only_bad.moments.nan,
            only_bad.moments.pos_inf,
            only_bad.moments.neg_inf
        ),
        (2, 1, 1)
    );
    assert_eq!(only_bad.moments.mean(), None);
    assert!(only_bad.histogram.counts.is_empty());

    let constant = Summary::of(&[2.5f32; 10], 4);
    assert_eq!(constant.moments.std(), Some(0.0));
    assert_eq!(constant.histogram.edges, vec![2.0, 2.25, 2.5, 2.75, 3.0]);
    assert_eq!(constant.histogram.counts, vec![0, 0, 10, 0]);

    let mixed = Summary::of(&[1.0f32, f32::NAN, 3.0, f32::INFINITY, 0.0], 2);
    assert_eq!(mixed.moments.mean(), Some(4.0 / 3.0));
    assert_eq!(mixed.moments.zeros, 1);
    assert_eq!(mixed.histogram.counts, vec![2, 1]);
    let json = serde_json::to_value(&mixed.moments).unwrap();
    assert_eq!(json["nan"], 1);
    assert_eq!(json["inf"], 1);
    assert_eq!(json["zeros"], 1);
}

#[test]
fn every_dtype_reads_from_little_endian_bytes() {
    let floats = [-1.5f64, 0.0, 2.0, 4.0];
    let check = |dtype: DType, bytes: Vec<u8>, expected: &[f64]| {
        let summary = Summary::of_le_bytes(dtype, &bytes, 4);
        let direct = Summary::of(expected, 4);
        assert_eq!(summary, direct, "{dtype:?}");
    };
    check(
        DType::F32,
        floats
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect(),
        &floats,
    );
    check(
        DType::F64,
        floats.iter().flat_map(|&v| v.to_le_bytes()).collect(),
        &floats,
    );
    check(
        DType::F16,
        floats
            .iter()
            .flat_map(|&v| f16::from_f64(v).to_le_bytes())
            .collect(),
        &floats,
    );
    check(
        DType::BF16,
        floats
            .iter()
            .flat_map(|&v| bf16::from_f64(v).to_le_bytes())
            .collect(),
        &floats,
    );
    let ints = [-3i64, 0, 7, 100];
    let as_f64: Vec<f64> = ints.iter().map(|&v| v as f64).collect();
    check(
        DType::I64,
        ints.iter().flat_map(|v| v.to_le_bytes()).collect(),
        &as_f64,
    );
    check(
        DType::I32,
        ints.iter()
            .flat_map(|&v| (v as i32).to_le_bytes())
            .collect(),
        &as_f64,
    );
    check(
        DType::I16,
        ints.iter()
            .flat_map(|&v| (v as i16).to_le_bytes())
            .collect(),
        &as_f64,
    );
    check(
        DType::I8,
        ints.iter().map(|&v| v as i8 as u8).collect(),
        &as_f64,
    );
    let unsigned = [0u64, 1, 200, 255];
    let as_f64: Vec<f64> = unsigned.iter().map(|&v| v as f64).collect();
    check(
        DType::U8,
        unsigned.iter().map(|&v| v as u8).collect(),
        &as_f64,
    );
    check(
        DType::U16,
        unsigned
            .iter()
            .flat_map(|&v| (v as u16).to_le_bytes())
            .collect(),
        &as_f64,
    );
    check(
        DType::U32,
        unsigned
            .iter()
            .flat_map(|&v| (v as u32).to_le_bytes())
            .collect(),
        &as_f64,
    );
    check(
        DType::U64,
        unsigned.iter().flat_map(|v| v.to_le_bytes()).collect(),
        &as_f64,
    );
    check(DType::Bool, vec![0, 1, 1, 0], &[0.0, 1.0, 1.0, 0.0]);
}

#[test]
fn histograms_with_other_edges_refuse_to_merge() {
    let mut a = Histogram::with_range(0.0, 1.0, 4);
    let b = Histogram::with_range(0.0, 2.0, 4);
    assert!(a.merge(&b).is_err());
}

#[test]
fn large_offsets_keep_their_variance() {
    // Naive sum-of-squares loses everything here; the chunked two-pass update does not.
    let values: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 2) as f64).collect();
    let m = Moments::of(values.iter().copied());
    assert!((m.std().unwrap() - 0.5).abs() < 1e-9, "{:?}", m.std());
}
