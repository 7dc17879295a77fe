//! Memory-bandwidth probe: the machine limit that every bandwidth-bound kernel is compared with.
//!
//! A kernel's bytes per second mean little without the machine's own number from the same run,
//! so benches call [`copy_bandwidth`] next to the kernel they time. The probe is a large
//! parallel copy (one read stream and one write stream), the pattern of most element-wise
//! kernels; it counts read and written bytes.

use rayon::prelude::*;
use std::time::Instant;

/// Bytes moved by one copy of `len` f64 values: read once, written once.
pub fn copy_bytes(len: usize) -> usize {
    2 * len * std::mem::size_of::<f64>()
}

/// Copies `src` into `dst` in parallel chunks, the reference bandwidth-bound operation.
pub fn parallel_copy(src: &[f64], dst: &mut [f64]) {
    const CHUNK: usize = 1 << 16;
    dst.par_chunks_mut(CHUNK)
        .zip(src.par_chunks(CHUNK))
        .for_each(|(d, s)| d.copy_from_slice(s));
}

/// Best-of-`repeats` bandwidth in bytes per second of a parallel copy of `len` f64 values.
/// Use a `len` well beyond the last-level cache (the default in benches is 2^25, 256 MiB each way).
pub fn copy_bandwidth(len: usize, repeats: usize) -> f64 {
    let src: Vec<f64> = (0..len).map(|i| i as f64).collect();
    let mut dst = vec![0.0f64; len];
    parallel_copy(&src, &mut dst); // touch the pages first
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        parallel_copy(&src, &mut dst);
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(&dst);
    copy_bytes(len) as f64 / best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_is_exact_and_counts_two_streams() {
        let src: Vec<f64> = (0..200_000).map(|i| (i as f64).sin()).collect();
        let mut dst = vec![0.0; src.len()];
        parallel_copy(&src, &mut dst);
        assert_eq!(src, dst);
        assert_eq!(copy_bytes(10), 160);
        assert!(copy_bandwidth(1 << 16, 2) > 0.0);
    }
}
