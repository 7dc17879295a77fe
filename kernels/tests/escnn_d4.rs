//! kernels::nn::d4 against escnn 1.0.11 (`kernels/fixtures/escnn_d4.json`, written by
//! `kernels/fixtures/generate_escnn.py`).
//!
//! escnn names D4's elements (flip, rotation) and orders a regular field's channels by them; this
//! crate names them `Rʳ Fᵐ`. The test first finds, for each escnn element, the one element of
//! ours that moves a random plane exactly as escnn does, then checks that this naming is a group
//! isomorphism and carries escnn's regular representation to ours, and finally that tying a base
//! filter our way reproduces the dense filters escnn expands from its steerable basis, and the
//! layers' outputs, for a lifting and a group convolution.

use kernels::nn::conv::Conv2d;
use kernels::nn::d4::{Tied, act_planes, act_regular, compose};
use serde_json::Value;

mod common;
use common::floats32;

const FIXTURE: &str = include_str!("../fixtures/escnn_d4.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("escnn fixture parses")
}

fn ints(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array of indices")
        .iter()
        .map(|x| x.as_u64().expect("an index") as usize)
        .collect()
}

/// `ours[j]`: our element acting on the plane as escnn's element j does.
fn naming(fx: &Value) -> Vec<usize> {
    let s = fx["plane_size"].as_u64().unwrap() as usize;
    let plane = floats32(&fx["plane"]);
    fx["plane_moved"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(j, moved)| {
            let moved = floats32(moved);
            let hits: Vec<usize> = (0..8)
                .filter(|&e| act_planes(e, &plane, s) == moved)
                .collect();
            assert_eq!(hits.len(), 1, "escnn element {j} matches {hits:?} of ours");
            hits[0]
        })
        .collect()
}

fn max_abs(a: &[f32]) -> f32 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Largest |a − b| relative to the largest |b|.
fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    worst / max_abs(b)
}

/// Reorders (field, escnn element, rest) blocks into (field, our element, rest).
fn to_ours(x: &[f32], ours: &[usize], block: usize) -> Vec<f32> {
    let mut y = vec![0.0; x.len()];
    for (xf, yf) in x.chunks(8 * block).zip(y.chunks_mut(8 * block)) {
        for (j, &e) in ours.iter().enumerate() {
            yf[e * block..][..block].copy_from_slice(&xf[j * block..][..block]);
        }
    }
    y
}

#[test]
fn escnn_and_our_elements_are_the_same_group() {
    let fx = fixture();
    let ours = naming(&fx);
    let mut seen = ours.clone();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..8).collect::<Vec<_>>(),
        "the naming is a bijection"
    );
    for (a, row) in fx["product"].as_array().unwrap().iter().enumerate() {
        for (b, ab) in ints(row).into_iter().enumerate() {
            assert_eq!(compose(ours[a], ours[b]), ours[ab], "escnn {a}·{b}");
        }
    }
}

#[test]
fn regular_representations_agree() {
    let fx = fixture();
    let ours = naming(&fx);
    for (g, col_to_row) in fx["regular"].as_array().unwrap().iter().enumerate() {
        for (j, row) in ints(col_to_row).into_iter().enumerate() {
            // One field on a 1 × 1 grid, one-hot at our channel for escnn's j.
            let mut x = vec![0.0f32; 8];
            x[ours[j]] = 1.0;
            let y = act_regular(ours[g], &x, 1);
            let mut want = vec![0.0f32; 8];
            want[ours[row]] = 1.0;
            assert_eq!(y, want, "escnn ρ_reg({g}) e_{j} = e_{row}");
        }
    }
}

/// The base filter θ is escnn's filter at the identity output channel of each field; our tying
/// must then give all the others, and the convolution escnn's output.
fn check_layer(layer: &Value, ours: &[usize], tied: &Tied, c_in: usize, regular_in: bool) {
    let shape = ints(&layer["filter_shape"]);
    let (c_out, k) = (shape[0], shape[2]);
    let kk = k * k;
    let in_block = if regular_in { kk } else { c_in * kk };
    // Filter rows (field, escnn element) → ours; within a row, regular input channels too.
    let mut w_escnn = to_ours(&floats32(&layer["filter"]), ours, c_in * kk);
    if regular_in {
        w_escnn = w_escnn
            .chunks(c_in * kk)
            .flat_map(|row| to_ours(row, ours, in_block))
            .collect();
    }
    let row = c_in * kk;
    let theta: Vec<f32> = w_escnn
        .chunks(8 * row)
        .flat_map(|field| field[..row].to_vec())
        .collect();
    let w_ours = tied.expand(&theta);
    let err_w = rel_err(&w_ours, &w_escnn);
    assert!(
        err_w < 1e-5,
        "tied filters differ from escnn's by {err_w:e}"
    );

    let x_shape = ints(&layer["input_shape"]);
    let (h, w) = (x_shape[2], x_shape[3]);
    let mut x = floats32(&layer["input"]);
    if regular_in {
        x = to_ours(&x, ours, h * w);
    }
    let conv = Conv2d::new(c_in, c_out, k, h, w);
    let (y, _) = conv.forward(&x, &w_ours, &vec![0.0; c_out], 1);
    let want = to_ours(&floats32(&layer["output"]), ours, h * w);
    let err_y = rel_err(&y, &want);
    eprintln!("escnn layer {c_in} → {c_out}: filter error {err_w:e}, output error {err_y:e}");
    assert!(
        err_y < 1e-5,
        "layer output differs from escnn's by {err_y:e}"
    );
}

#[test]
fn lifting_layer_matches_escnn() {
    let fx = fixture();
    let ours = naming(&fx);
    check_layer(&fx["lifting"], &ours, &Tied::lifting(2, 1, 3), 1, false);
}

#[test]
fn group_layer_matches_escnn() {
    let fx = fixture();
    let ours = naming(&fx);
    check_layer(&fx["group"], &ours, &Tied::group(1, 2, 3), 16, true);
}
