// Batched small symmetric eigendecompositions and matrix functions (double precision), one
// thread block per matrix. The CPU reference is kernels/src/spd.rs (same cyclic Jacobi order of
// rotations, so results agree to rounding).
//
// Each block copies its matrix to `work` (global scratch, batch x n x n) and accumulates the
// eigenvectors in `vecs`; the threads of a block share the row, column and vector updates of each
// rotation.

#define SPD_TOL 1e-15
#define SPD_MAX_SWEEPS 60

__device__ double block_sum(double v) {
    __shared__ double buf[256];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) buf[threadIdx.x] += buf[threadIdx.x + stride];
        __syncthreads();
    }
    double out = buf[0];
    __syncthreads();
    return out;
}

// Eigenvalues (unsorted, the diagonal of `work`) and eigenvectors (columns of `vecs`) of each
// symmetric matrix in `a`. blockDim.x must be a power of two <= 256.
extern "C" __global__ void spd_eigh(const double* __restrict__ a, double* __restrict__ work,
                                    double* __restrict__ vecs, int n) {
    const long long base = (long long)blockIdx.x * n * n;
    const double* src = a + base;
    double* m = work + base;
    double* v = vecs + base;
    for (int k = threadIdx.x; k < n * n; k += blockDim.x) {
        int i = k / n, j = k % n;
        m[k] = 0.5 * (src[i * n + j] + src[j * n + i]);
        v[k] = i == j ? 1.0 : 0.0;
    }
    __syncthreads();
    double norm2 = 0.0;
    for (int k = threadIdx.x; k < n * n; k += blockDim.x) norm2 += m[k] * m[k];
    norm2 = block_sum(norm2);
    for (int sweep = 0; sweep < SPD_MAX_SWEEPS; ++sweep) {
        double off = 0.0;
        for (int k = threadIdx.x; k < n * n; k += blockDim.x)
            if (k / n != k % n) off += m[k] * m[k];
        off = block_sum(off);
        if (off <= SPD_TOL * SPD_TOL * norm2 || off == 0.0) break;
        for (int p = 0; p < n; ++p) {
            for (int q = p + 1; q < n; ++q) {
                double apq = m[p * n + q];
                __syncthreads();
                if (apq == 0.0) continue;
                double theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                __syncthreads();
                for (int k = threadIdx.x; k < n; k += blockDim.x) {
                    double kp = m[k * n + p], kq = m[k * n + q];
                    m[k * n + p] = c * kp - s * kq;
                    m[k * n + q] = s * kp + c * kq;
                }
                __syncthreads();
                for (int k = threadIdx.x; k < n; k += blockDim.x) {
                    double pk = m[p * n + k], qk = m[q * n + k];
                    m[p * n + k] = c * pk - s * qk;
                    m[q * n + k] = s * pk + c * qk;
                    double vp = v[k * n + p], vq = v[k * n + q];
                    v[k * n + p] = c * vp - s * vq;
                    v[k * n + q] = s * vp + c * vq;
                }
                __syncthreads();
            }
        }
    }
}

// out = V diag(f(lambda)) V^T for each matrix, lambda the diagonal of `work` after spd_eigh.
// f: 0 sqrt, 1 inverse sqrt, 2 log, 3 exp, 4 power `p`, 5 log(max(x, p)) (ReEig then LogEig),
// 6 |x|.
extern "C" __global__ void spd_apply(const double* __restrict__ work,
                                     const double* __restrict__ vecs, double* __restrict__ out,
                                     int n, int f, double p) {
    const long long base = (long long)blockIdx.x * n * n;
    const double* m = work + base;
    const double* v = vecs + base;
    for (int k = threadIdx.x; k < n * n; k += blockDim.x) {
        int i = k / n, j = k % n;
        double s = 0.0;
        for (int l = 0; l < n; ++l) {
            double x = m[l * n + l], fx;
            switch (f) {
                case 0: fx = sqrt(x); break;
                case 1: fx = 1.0 / sqrt(x); break;
                case 2: fx = log(x); break;
                case 3: fx = exp(x); break;
                case 5: fx = log(fmax(x, p)); break;
                case 6: fx = fabs(x); break;
                default: fx = pow(x, p); break;
            }
            s += v[i * n + l] * fx * v[j * n + l];
        }
        out[base + k] = s;
    }
}
