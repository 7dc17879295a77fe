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

/// Bytes moved by one in-place update `x += y` of `len` f64 values: x read and written, y read.
pub fn update_bytes(len: usize) -> usize {
    3 * len * std::mem::size_of::<f64>()
}

/// The in-place streaming update `x[i] += y[i]`, in parallel chunks: the access pattern of an
/// optimizer step (state read and written in place, gradients read), without the
/// read-for-ownership traffic a copy into a separate buffer pays and does not count.
pub fn parallel_update(x: &mut [f64], y: &[f64]) {
    const CHUNK: usize = 1 << 16;
    x.par_chunks_mut(CHUNK)
        .zip(y.par_chunks(CHUNK))
        .for_each(|(a, b)| {
            for (ai, bi) in a.iter_mut().zip(b) {
                *ai += bi;
            }
        });
}

/// The memory-only twin of an optimizer step on `f32` buffers: `p += g` and `s += g` for each of
/// `states` (0, 1 or 2) state buffers. It moves exactly the bytes of SGD (0), SGD with momentum
/// (1) or Adam (2) with one add per stream, so "optimizer time / twin time" measures how close
/// a step gets to the machine's speed for its own access pattern.
pub fn twin_step(p: &mut [f32], g: &[f32], s1: &mut [f32], s2: &mut [f32], states: usize) {
    const CHUNK: usize = 1 << 14;
    match states {
        0 => p
            .par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .for_each(|(p, g)| {
                for (pi, gi) in p.iter_mut().zip(g) {
                    *pi += gi;
                }
            }),
        1 => p
            .par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(s1.par_chunks_mut(CHUNK))
            .for_each(|((p, g), a)| {
                for ((pi, gi), ai) in p.iter_mut().zip(g).zip(a.iter_mut()) {
                    *pi += gi;
                    *ai += gi;
                }
            }),
        _ => p
            .par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(s1.par_chunks_mut(CHUNK).zip(s2.par_chunks_mut(CHUNK)))
            .for_each(|((p, g), (a, b))| {
                for (((pi, gi), ai), bi) in p.iter_mut().zip(g).zip(a.iter_mut()).zip(b.iter_mut())
                {
                    *pi += gi;
                    *ai += gi;
                    *bi += gi;
                }
            }),
    }
}

/// Bytes moved by [`twin_step`]: 12, 20 or 28 per element.
pub fn twin_bytes(len: usize, states: usize) -> usize {
    (12 + 8 * states.min(2)) * len
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
        let mut x = vec![1.0; 1000];
        parallel_update(&mut x, &vec![0.5; 1000]);
        assert!(x.iter().all(|&v| v == 1.5));
        assert_eq!(update_bytes(10), 240);
        let (mut p, g, mut a, mut b) = (
            vec![1.0f32; 5],
            vec![2.0f32; 5],
            vec![0.0f32; 5],
            vec![0.5f32; 5],
        );
        twin_step(&mut p, &g, &mut a, &mut b, 2);
        assert!(
            p.iter().all(|&v| v == 3.0)
                && a.iter().all(|&v| v == 2.0)
                && b.iter().all(|&v| v == 2.5)
        );
        assert_eq!(twin_bytes(10, 1), 200);
    }
}
