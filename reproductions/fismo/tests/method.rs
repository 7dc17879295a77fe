use fismo::method::{condition, loss_and_accuracy};

#[test]
fn condition_number_of_a_known_matrix() {
    // diag(3, 1) rotated: κ = 3; a rank-one matrix: ∞.
    let (c, s) = (0.6f64, 0.8f64);
    let d = [3.0 * c, -s, 3.0 * s, c];
    assert!((condition(&d, 2, 2) - 3.0).abs() < 1e-12);
    assert!(condition(&[1.0, 2.0, 2.0, 4.0], 2, 2).is_infinite());
}

#[test]
fn cross_entropy_and_accuracy_of_known_logits() {
    let mut logits = vec![0.0f32; 20];
    logits[3] = 10.0; // row 0 predicts 3
    let (loss, acc) = loss_and_accuracy(&logits, &[3, 5]);
    let row0 = (10f64.exp() + 9.0).ln() - 10.0;
    let row1 = (10.0f64).ln();
    assert!((loss - 0.5 * (row0 + row1)).abs() < 1e-9);
    assert_eq!(acc, 0.5);
}
