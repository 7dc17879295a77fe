//! Readers of the golden JSON fixtures, shared by the fixture tests (`mod common;`).
#![allow(dead_code)] // each test binary uses a subset

use serde_json::Value;

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// The same in single precision.
pub fn floats32(v: &Value) -> Vec<f32> {
    floats(v).into_iter().map(|x| x as f32).collect()
}
