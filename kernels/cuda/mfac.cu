// M-FAC's O(d m) products (double precision). The CPU reference is kernels/src/optim/mfac.rs:
// `products` (G x, one dot per gradient row) and `combine` (x / lambda + sum_i c_i G_i), which
// bracket the O(m^2) work a product of DynamicIhvp does on the host.
//
// `mfac_products`: one block per row of G, blockDim.x a power of two <= 256, a tree reduction.
// `mfac_combine`: one thread per coordinate, summing the rows in order as the CPU does.

extern "C" __global__ void mfac_products(const double* __restrict__ g,
                                         const double* __restrict__ x, int m, long long d,
                                         double* __restrict__ out) {
    __shared__ double buf[256];
    const int i = blockIdx.x;
    if (i >= m) return;
    const double* row = g + (long long)i * d;
    double acc = 0.0;
    for (long long j = threadIdx.x; j < d; j += blockDim.x) acc += row[j] * x[j];
    buf[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) buf[threadIdx.x] += buf[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[i] = buf[0];
}

extern "C" __global__ void mfac_combine(const double* __restrict__ g,
                                        const double* __restrict__ c,
                                        const double* __restrict__ x, int m, long long d,
                                        double inv_damp, double* __restrict__ out) {
    const long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= d) return;
    double acc = inv_damp * x[j];
    for (int i = 0; i < m; ++i) acc += c[i] * g[(long long)i * d + j];
    out[j] = acc;
}
