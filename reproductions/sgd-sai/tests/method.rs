//! The Markov-chain task.

use harness::rng::Rng;
use sgd_sai::method::Chain;

#[test]
fn targets_are_the_inputs_shifted_and_follow_the_chain() {
    let mut rng = Rng::new(3);
    let chain = Chain::new(8, &mut rng);
    let (x, y) = chain.sample(4, 10, &mut rng);
    assert_eq!(x.len(), 40);
    for s in 0..4 {
        assert_eq!(&x[s * 10 + 1..s * 10 + 10], &y[s * 10..s * 10 + 9]);
    }
    assert!(x.iter().chain(&y).all(|&t| t < 8));
}

#[test]
fn entropy_rate_is_below_the_uniform_loss_and_at_most_ln3() {
    let mut rng = Rng::new(5);
    let chain = Chain::new(16, &mut rng);
    let h = chain.entropy_rate(&mut rng);
    // At most 3 successors per pair: the rate cannot exceed ln 3.
    assert!(h > 0.0 && h <= 3f64.ln() + 1e-12, "{h}");
    assert!(h < 16f64.ln());
}
