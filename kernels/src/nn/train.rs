//! Mini-batch training of an [`Mlp`](super::Mlp) classifier with any optimizer.

use super::{BnStats, Mlp};
use crate::data::Dataset;
use crate::optim::Optimizer;

/// One epoch's numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

/// Trains for `epochs` passes over `train` in batches of `batch` (the last, smaller batch is
/// dropped so that batch-norm statistics are never computed on a handful of rows), shuffled by
/// `shuffle` before each epoch; evaluates on `test` after each epoch and calls `on_epoch` with
/// the parameters. Stops early, returning `Err` with the epoch, if the loss stops being finite.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    mlp: &Mlp,
    params: &mut [f32],
    stats: &mut BnStats,
    opt: &mut dyn Optimizer,
    train: &Dataset,
    test: &Dataset,
    epochs: usize,
    batch: usize,
    shuffle: &mut dyn FnMut(&mut [usize]),
    on_epoch: &mut dyn FnMut(&Epoch, &[f32]),
) -> Result<Vec<Epoch>, usize> {
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut grad = vec![0.0; params.len()];
    let mut out = Vec::with_capacity(epochs);
    for epoch in 1..=epochs {
        shuffle(&mut order);
        let mut total = 0.0;
        let mut batches = 0;
        for idx in order.chunks_exact(batch) {
            let b = train.rows(idx);
            let loss = mlp.loss_grad(params, stats, &b.x, &b.y, &mut grad);
            if !loss.is_finite() {
                return Err(epoch);
            }
            opt.step(params, &grad);
            total += loss;
            batches += 1;
        }
        let (test_loss, test_accuracy) = mlp.evaluate(params, stats, &test.x, &test.y);
        let e = Epoch {
            epoch,
            train_loss: total / batches as f64,
            test_loss,
            test_accuracy,
        };
        on_epoch(&e, params);
        out.push(e);
    }
    Ok(out)
}
