// Log-domain Sinkhorn kernels (double precision). The CPU reference is kernels/src/ot/sinkhorn.rs.
//
// Plan convention: P_ij = exp(eta * (x_i + y_j - C_ij) - 1).

#define BLOCK 256

// Block-wide reduction of one double per thread; op 0 = max, op 1 = sum. All threads get the result.
__device__ double block_reduce(double v, int op) {
    __shared__ double buf[BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int stride = BLOCK / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) {
            double other = buf[threadIdx.x + stride];
            buf[threadIdx.x] = op == 0 ? fmax(buf[threadIdx.x], other) : buf[threadIdx.x] + other;
        }
        __syncthreads();
    }
    double out = buf[0];
    __syncthreads();
    return out;
}

// One half-step: for each row i of `cost` (rows x cols, row-major),
//   lse_i = log sum_j exp(eta * (other_j - cost_ij)),
//   sums_i = exp(eta * target_i - 1 + lse_i)   (the marginal before the update),
//   target_i = (log_marg_i + 1 - lse_i) / eta.
// One block per row. For the column step pass the transposed cost and swap x and y.
extern "C" __global__ void sinkhorn_half_step(const double* __restrict__ cost,
                                              const double* __restrict__ other,
                                              const double* __restrict__ log_marg,
                                              double eta, int rows, int cols,
                                              double* __restrict__ target,
                                              double* __restrict__ sums) {
    int i = blockIdx.x;
    if (i >= rows) return;
    const double* row = cost + (size_t)i * cols;
    double mx = __longlong_as_double(0xfff0000000000000ULL); // -inf (NVRTC has no math.h)
    for (int j = threadIdx.x; j < cols; j += BLOCK) mx = fmax(mx, other[j] - row[j]);
    mx = block_reduce(mx, 0);
    double s = 0.0;
    // Terms below e^-60 cannot change the sum (its largest term is 1); same cut-off as the CPU.
    for (int j = threadIdx.x; j < cols; j += BLOCK) {
        double t = eta * (other[j] - row[j] - mx);
        if (t > -60.0) s += exp(t);
    }
    s = block_reduce(s, 1);
    if (threadIdx.x == 0) {
        double lse = eta * mx + log(s);
        sums[i] = exp(eta * target[i] - 1.0 + lse);
        target[i] = (log_marg[i] + 1.0 - lse) / eta;
    }
}

// The plan P (n x m, row-major).
extern "C" __global__ void sinkhorn_plan(const double* __restrict__ cost,
                                         const double* __restrict__ x,
                                         const double* __restrict__ y,
                                         double eta, int n, int m,
                                         double* __restrict__ plan) {
    size_t total = (size_t)n * m;
    for (size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x; k < total;
         k += (size_t)gridDim.x * blockDim.x) {
        int i = (int)(k / m);
        int j = (int)(k % m);
        plan[k] = exp(eta * (x[i] + y[j] - cost[k]) - 1.0);
    }
}
