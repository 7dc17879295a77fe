//! The dihedral group D4 (rotations by 90° and reflections of the square) acting on images, and
//! D4-equivariant convolutions by weight tying (Cohen and Welling 2016, "G-CNNs").
//!
//! Element e ∈ 0..8 is the matrix `Rʳ Fᵐ` (r = e mod 4, m = e div 4) with R the 90° rotation and
//! F the column flip, acting on pixel coordinates centred on the grid (doubled so that even sizes
//! stay integral: u = 2i − (s − 1)). A plane transforms as `(g·f)(p) = f(g⁻¹p)`; a regular
//! feature map of F fields × 8 channels as `(g·f)(o, h, p) = f(o, g⁻¹h, g⁻¹p)`.
//!
//! The layers are ordinary [`super::conv::Conv2d`]s whose weights are gathered from fewer free
//! parameters θ:
//!
//! ```text
//!   lifting:     W[(o, g), i, q]      = θ[o, i, g⁻¹q]
//!   group conv:  W[(o, g), (i, h), q] = θ[o, i, g⁻¹h, g⁻¹q]
//! ```
//!
//! so `conv(g·x) = g·conv(x)` exactly (up to rounding) with zero padding, odd kernels and 2×2
//! pooling on even grids. Mean over space and over the 8 channels of a field is then invariant.
//! The backward of a gather is a scatter-add ([`Tied::reduce`]).

/// The 2×2 integer matrix of element e.
fn matrix(e: usize) -> [[i64; 2]; 2] {
    let mut m = if e >= 4 {
        [[1, 0], [0, -1]]
    } else {
        [[1, 0], [0, 1]]
    };
    for _ in 0..e % 4 {
        // R · m with R = [[0, −1], [1, 0]].
        m = [[-m[1][0], -m[1][1]], [m[0][0], m[0][1]]];
    }
    m
}

fn mul(a: [[i64; 2]; 2], b: [[i64; 2]; 2]) -> [[i64; 2]; 2] {
    let mut c = [[0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
        }
    }
    c
}

/// The element with matrix `m`.
fn index(m: [[i64; 2]; 2]) -> usize {
    (0..8).find(|&e| matrix(e) == m).expect("D4 is closed")
}

/// The product a·b.
pub fn compose(a: usize, b: usize) -> usize {
    index(mul(matrix(a), matrix(b)))
}

/// The inverse (the transpose: the matrices are orthogonal).
pub fn inverse(a: usize) -> usize {
    let m = matrix(a);
    index([[m[0][0], m[1][0]], [m[0][1], m[1][1]]])
}

/// `perm[p]` = the index of g⁻¹p on an s × s grid, so that `(g·f)[p] = f[perm[p]]`.
pub fn plane_perm(g: usize, s: usize) -> Vec<usize> {
    let m = matrix(inverse(g));
    let c = s as i64 - 1;
    (0..s * s)
        .map(|p| {
            let (u, v) = (2 * (p / s) as i64 - c, 2 * (p % s) as i64 - c);
            let (u2, v2) = (m[0][0] * u + m[0][1] * v, m[1][0] * u + m[1][1] * v);
            (((u2 + c) / 2) * s as i64 + (v2 + c) / 2) as usize
        })
        .collect()
}

/// g acting on every s × s plane of `x` (plain channels: only the pixels move).
pub fn act_planes(g: usize, x: &[f32], s: usize) -> Vec<f32> {
    let perm = plane_perm(g, s);
    x.chunks(s * s)
        .flat_map(|pl| perm.iter().map(move |&q| pl[q]))
        .collect()
}

/// g acting on regular feature maps laid out (sample, field, h ∈ 0..8, s, s): channel h takes
/// the transformed plane of channel g⁻¹h.
pub fn act_regular(g: usize, x: &[f32], s: usize) -> Vec<f32> {
    let perm = plane_perm(g, s);
    let gi = inverse(g);
    let mut y = vec![0.0; x.len()];
    for (field, out) in x.chunks(8 * s * s).zip(y.chunks_mut(8 * s * s)) {
        for h in 0..8 {
            let src = &field[compose(gi, h) * s * s..][..s * s];
            let dst = &mut out[h * s * s..][..s * s];
            dst.iter_mut().zip(&perm).for_each(|(d, &q)| *d = src[q]);
        }
    }
    y
}

/// A tied weight: `W[e] = θ[map[e]]`.
#[derive(Clone, Debug)]
pub struct Tied {
    pub map: Vec<usize>,
    pub theta_len: usize,
}

impl Tied {
    /// Plain c_in channels → f_out regular fields (8 f_out channels), k × k filters.
    pub fn lifting(f_out: usize, c_in: usize, k: usize) -> Self {
        let kk = k * k;
        let mut map = Vec::with_capacity(f_out * 8 * c_in * kk);
        for o in 0..f_out {
            for g in 0..8 {
                let perm = plane_perm(g, k);
                for i in 0..c_in {
                    map.extend(perm.iter().map(|&q| (o * c_in + i) * kk + q));
                }
            }
        }
        Self {
            map,
            theta_len: f_out * c_in * kk,
        }
    }

    /// f_in regular fields → f_out regular fields.
    pub fn group(f_out: usize, f_in: usize, k: usize) -> Self {
        let kk = k * k;
        let mut map = Vec::with_capacity(f_out * 8 * f_in * 8 * kk);
        for o in 0..f_out {
            for g in 0..8 {
                let (perm, gi) = (plane_perm(g, k), inverse(g));
                for i in 0..f_in {
                    for h in 0..8 {
                        let base = ((o * f_in + i) * 8 + compose(gi, h)) * kk;
                        map.extend(perm.iter().map(|&q| base + q));
                    }
                }
            }
        }
        Self {
            map,
            theta_len: f_out * f_in * 8 * kk,
        }
    }

    /// The expanded weight from θ.
    pub fn expand(&self, theta: &[f32]) -> Vec<f32> {
        assert_eq!(theta.len(), self.theta_len);
        self.map.iter().map(|&j| theta[j]).collect()
    }

    /// Adds the gradient of θ given that of the expanded weight.
    pub fn reduce(&self, dw: &[f32], dtheta: &mut [f32]) {
        assert!(dw.len() == self.map.len() && dtheta.len() == self.theta_len);
        self.map.iter().zip(dw).for_each(|(&j, &d)| dtheta[j] += d);
    }
}

/// Bias per field, shared by its 8 channels.
pub fn expand_bias(beta: &[f32]) -> Vec<f32> {
    beta.iter().flat_map(|&b| [b; 8]).collect()
}

/// Mean over the 8 channels and the `plane` pixels of each field: (n, fields, 8, plane) → (n,
/// fields), invariant under D4.
pub fn invariant_pool(x: &[f32], plane: usize) -> Vec<f32> {
    let inv = 1.0 / (8 * plane) as f32;
    x.chunks(8 * plane)
        .map(|f| f.iter().sum::<f32>() * inv)
        .collect()
}

/// Backward of [`invariant_pool`].
pub fn invariant_pool_back(dy: &[f32], plane: usize) -> Vec<f32> {
    let inv = 1.0 / (8 * plane) as f32;
    dy.iter().flat_map(|&d| vec![d * inv; 8 * plane]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv::{Conv2d, avg_pool2, relu};
    use crate::rng::Rng;

    #[test]
    fn the_group_tables_are_a_group() {
        for a in 0..8 {
            assert_eq!(compose(a, inverse(a)), 0);
            for b in 0..8 {
                for c in 0..8 {
                    assert_eq!(compose(compose(a, b), c), compose(a, compose(b, c)));
                }
            }
        }
        // Rotation by 90° four times is the identity; a flip is an involution.
        assert_eq!(compose(1, compose(1, compose(1, 1))), 0);
        assert_eq!(compose(4, 4), 0);
        // The action is a group action on planes: (ab)·f = a·(b·f).
        let f: Vec<f32> = (0..25).map(|v| v as f32).collect();
        for a in 0..8 {
            for b in 0..8 {
                assert_eq!(
                    act_planes(compose(a, b), &f, 5),
                    act_planes(a, &act_planes(b, &f, 5), 5)
                );
            }
        }
    }

    /// A lifting layer, ReLU, pool, a group layer, ReLU, pool and the invariant pool: features of
    /// all 8 transformed inputs agree, and each layer is equivariant on the way.
    #[test]
    fn the_tied_network_is_exactly_invariant() {
        let mut rng = Rng::new(5);
        let (s, k, f1, f2) = (8, 3, 2, 3);
        let x: Vec<f32> = (0..2 * s * s).map(|_| rng.normal() as f32).collect(); // n = 1, c_in = 2
        let lift = Tied::lifting(f1, 2, k);
        let group = Tied::group(f2, f1, k);
        let th1: Vec<f32> = (0..lift.theta_len)
            .map(|_| 0.3 * rng.normal() as f32)
            .collect();
        let th2: Vec<f32> = (0..group.theta_len)
            .map(|_| 0.3 * rng.normal() as f32)
            .collect();
        let (b1, b2) = (expand_bias(&[0.1, -0.2]), expand_bias(&[0.05, 0.0, -0.1]));
        let (c1, c2) = (
            Conv2d::new(2, 8 * f1, k, s, s),
            Conv2d::new(8 * f1, 8 * f2, k, s / 2, s / 2),
        );
        let (w1, w2) = (lift.expand(&th1), group.expand(&th2));
        let net = |x: &[f32]| -> (Vec<f32>, Vec<f32>) {
            let (mut h, _) = c1.forward(x, &w1, &b1, 1);
            relu(&mut h);
            let lifted = h.clone();
            let h = avg_pool2(&h, 8 * f1, s, s);
            let (mut h, _) = c2.forward(&h, &w2, &b2, 1);
            relu(&mut h);
            let h = avg_pool2(&h, 8 * f2, s / 2, s / 2);
            (invariant_pool(&h, s * s / 16), lifted)
        };
        let (base, lifted) = net(&x);
        let mut worst = 0.0f32;
        for g in 1..8 {
            let (feat, lifted_g) = net(&act_planes(g, &x, s));
            let expected = act_regular(g, &lifted, s);
            let eq = lifted_g
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(eq < 1e-5, "lifting layer not equivariant under {g}: {eq}");
            worst = feat
                .iter()
                .zip(&base)
                .map(|(a, b)| (a - b).abs())
                .fold(worst, f32::max);
        }
        assert!(worst < 1e-5, "features move by {worst} under D4");
        assert!(
            base.iter().any(|v| v.abs() > 1e-3),
            "features must not be trivially zero"
        );
        // Control: the same network with untied random first-layer weights is not invariant.
        let free: Vec<f32> = (0..w1.len()).map(|_| 0.3 * rng.normal() as f32).collect();
        let (mut h, _) = c1.forward(&x, &free, &b1, 1);
        relu(&mut h);
        let (mut hg, _) = c1.forward(&act_planes(1, &x, s), &free, &b1, 1);
        relu(&mut hg);
        let (a, b) = (invariant_pool(&h, s * s), invariant_pool(&hg, s * s));
        let moved = a
            .iter()
            .zip(&b)
            .map(|(u, v)| (u - v).abs())
            .fold(0.0, f32::max);
        assert!(
            moved > 1e-3,
            "untied weights should break invariance ({moved})"
        );
    }

    #[test]
    fn reduce_is_the_adjoint_of_expand() {
        let t = Tied::group(2, 1, 3);
        let mut rng = Rng::new(9);
        let th: Vec<f32> = (0..t.theta_len).map(|_| rng.normal() as f32).collect();
        let dw: Vec<f32> = (0..t.map.len()).map(|_| rng.normal() as f32).collect();
        let mut dth = vec![0.0; t.theta_len];
        t.reduce(&dw, &mut dth);
        let lhs: f64 = t
            .expand(&th)
            .iter()
            .zip(&dw)
            .map(|(a, b)| f64::from(a * b))
            .sum();
        let rhs: f64 = th.iter().zip(&dth).map(|(a, b)| f64::from(a * b)).sum();
        assert!((lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0));
    }
}
