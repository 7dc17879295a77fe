//! The bridge against dfdx itself: names and shapes, round trips, gradients against finite
//! differences, one training run through dfdx's Adam and through `kernels::optim::Adam`, and
//! the refusals (missing and non-finite gradients).

use dfdx::optim::{Adam as DfdxAdam, AdamConfig, Optimizer as DfdxOptimizer};
use dfdx::prelude::*;
use dfdx_bridge::{Bridge, BridgeError, layout, read_grads, read_params, write_params};
use kernels::optim::Adam;

type Model = (Linear<3, 8>, Tanh, Linear<8, 2>);
type Batch = Tensor<(usize, Const<3>), f32, Cpu>;
type Target = Tensor<(usize, Const<2>), f32, Cpu>;

fn data(dev: &Cpu) -> (Batch, Target) {
    let n = 16;
    let x: Vec<f32> = (0..n * 3)
        .map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0)
        .collect();
    let y: Vec<f32> = (0..n * 2)
        .map(|i| ((i * 13 % 7) as f32 / 3.0) - 1.0)
        .collect();
    (
        dev.tensor_from_vec(x, (n, Const::<3>)),
        dev.tensor_from_vec(y, (n, Const::<2>)),
    )
}

fn loss_value(model: &impl Module<Batch, Output = Target>, x: &Batch, y: &Target) -> f32 {
    mse_loss(model.forward(x.clone()), y.clone()).array()
}

#[test]
fn layout_follows_dfdx_paths_and_torch_shapes() {
    let dev: Cpu = Cpu::seed_from_u64(1);
    let model = dev.build_module::<Model, f32>();
    let l = layout(&model);
    let got: Vec<(String, Vec<usize>)> = l
        .slots
        .iter()
        .map(|s| (s.name.clone(), s.shape.clone()))
        .collect();
    let want = [
        ("0.weight", vec![8, 3]),
        ("0.bias", vec![8]),
        ("2.weight", vec![2, 8]),
        ("2.bias", vec![2]),
    ];
    assert_eq!(got.len(), want.len());
    for ((gn, gs), (wn, ws)) in got.iter().zip(want) {
        assert_eq!((gn.as_str(), gs), (wn, &ws));
    }
    assert_eq!(l.total, 8 * 3 + 8 + 2 * 8 + 2);
    // The first slot is the first Linear's weight, row-major out × in.
    let mut flat = vec![0.0; l.total];
    read_params(&model, &mut flat).unwrap();
    assert_eq!(&flat[..24], model.0.weight.as_vec().as_slice());
    assert_eq!(&flat[24..32], model.0.bias.as_vec().as_slice());
}

#[test]
fn write_then_read_round_trips_and_wrong_lengths_are_refused() {
    let dev: Cpu = Cpu::seed_from_u64(2);
    let mut model = dev.build_module::<Model, f32>();
    let n = layout(&model).total;
    let src: Vec<f32> = (0..n).map(|i| i as f32 * 0.01 - 0.2).collect();
    write_params(&mut model, &src).unwrap();
    let mut back = vec![0.0; n];
    read_params(&model, &mut back).unwrap();
    assert_eq!(src, back);
    assert_eq!(model.2.bias.as_vec(), src[n - 2..].to_vec());
    let err = read_params(&model, &mut vec![0.0; n + 1]).unwrap_err();
    assert_eq!(
        err,
        BridgeError::LayoutMismatch {
            expected: n + 1,
            found: n
        }
    );
    assert!(write_params(&mut model, &src[1..]).is_err());
}

#[test]
fn gradients_match_central_differences() {
    let dev: Cpu = Cpu::seed_from_u64(3);
    let mut model = dev.build_module::<Model, f32>();
    let (x, y) = data(&dev);
    let grads = mse_loss(model.forward(x.trace(model.alloc_grads())), y.clone()).backward();
    let n = layout(&model).total;
    let mut g = vec![0.0; n];
    read_grads(&model, &grads, &mut g).unwrap();
    let mut p = vec![0.0; n];
    read_params(&model, &mut p).unwrap();
    let h = 1e-2f32;
    let mut worst = 0.0f32;
    let scale = g.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    for i in 0..n {
        let mut q = p.clone();
        q[i] = p[i] + h;
        write_params(&mut model, &q).unwrap();
        let up = loss_value(&model, &x, &y);
        q[i] = p[i] - h;
        write_params(&mut model, &q).unwrap();
        let down = loss_value(&model, &x, &y);
        let fd = (up - down) / (2.0 * h);
        worst = worst.max((fd - g[i]).abs() / scale);
    }
    // Central differences in f32: O(h²) truncation plus rounding of the loss / h.
    assert!(worst < 2e-3, "worst relative gradient error {worst}");
}

/// Full-batch training on the same data from the same start, once with dfdx's Adam and once
/// with `kernels::optim::Adam` through the bridge; returns both loss curves.
fn adam_curves(steps: usize, lr: f32) -> (Vec<f32>, Vec<f32>) {
    let dev: Cpu = Cpu::seed_from_u64(4);
    let (x, y) = data(&dev);
    let start = dev.build_module::<Model, f32>();

    let mut a = start.clone();
    let mut opt = DfdxAdam::new(
        &a,
        AdamConfig {
            lr: lr as f64,
            ..Default::default()
        },
    );
    let mut curve_a = Vec::new();
    for _ in 0..steps {
        let loss = mse_loss(a.forward(x.clone().trace(a.alloc_grads())), y.clone());
        curve_a.push(loss.array());
        let grads = loss.backward();
        opt.update(&mut a, &grads).unwrap();
    }

    let mut b = start;
    let mut bridge = Bridge::new(&b);
    let mut ours = Adam::new(bridge.layout.clone(), lr);
    let mut curve_b = Vec::new();
    for _ in 0..steps {
        let loss = mse_loss(b.forward(x.clone().trace(b.alloc_grads())), y.clone());
        curve_b.push(loss.array());
        let grads = loss.backward();
        bridge.step(&mut b, &grads, &mut ours).unwrap();
    }
    (curve_a, curve_b)
}

#[test]
fn training_through_the_bridge_gives_dfdx_adams_loss_curve() {
    let (a, b) = adam_curves(200, 1e-2);
    // The loss falls (the run trains) and both curves agree step by step; the two Adams
    // differ only in f32 rounding (dfdx divides the bias-corrected moments, torch's form
    // scales the step).
    assert!(
        a[199] < 0.75 * a[0],
        "dfdx Adam did not train: {} → {}",
        a[0],
        a[199]
    );
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs() / p.abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "loss curves differ by {worst} (relative)");
}

#[test]
fn a_missing_or_non_finite_gradient_skips_the_step_and_keeps_the_parameters() {
    let dev: Cpu = Cpu::seed_from_u64(5);
    let mut model = dev.build_module::<Model, f32>();
    let mut bridge = Bridge::new(&model);
    let mut opt = Adam::new(bridge.layout.clone(), 1e-2);
    let mut before = vec![0.0; bridge.layout.total];
    read_params(&model, &mut before).unwrap();

    let empty = Gradients::<f32, Cpu>::leaky();
    let err = bridge.step(&mut model, &empty, &mut opt).unwrap_err();
    assert_eq!(
        err,
        BridgeError::MissingGradient {
            tensor: "0.weight".into()
        }
    );

    let (mut x, y) = data(&dev);
    let mut raw = x.as_vec();
    raw[4] = f32::NAN;
    x.copy_from(&raw);
    let grads = mse_loss(model.forward(x.trace(model.alloc_grads())), y).backward();
    let err = bridge.step(&mut model, &grads, &mut opt).unwrap_err();
    assert!(
        matches!(&err, BridgeError::NonFinite { tensor, .. } if tensor == "0.weight"),
        "{err}"
    );
    let mut after = vec![0.0; bridge.layout.total];
    read_params(&model, &mut after).unwrap();
    assert_eq!(before, after);
}
