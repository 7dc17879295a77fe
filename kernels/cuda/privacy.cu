// DP-SGD gradient privatisation (single precision). The CPU reference is
// kernels/src/privacy/dpsgd.rs (`privatize`): per-sample L2 norms over all coordinates, Opacus'
// clip factor min(1, C / (norm + 1e-6)), the clipped sum, plus sigma * C * z, divided by denom.
//
// `dp_norms`: one block per sample, blockDim.x a power of two <= 256.
// `dp_clip_sum_noise`: one thread per coordinate, looping over the samples in order, so each
// output is the same left-to-right sum as the CPU's (up to fused multiply-adds).

extern "C" __global__ void dp_norms(const float* __restrict__ g, int n, int d,
                                    float* __restrict__ norms) {
    __shared__ float buf[256];
    const int s = blockIdx.x;
    if (s >= n) return;
    const float* row = g + (long long)s * d;
    float acc = 0.0f;
    for (int j = threadIdx.x; j < d; j += blockDim.x) acc += row[j] * row[j];
    buf[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) buf[threadIdx.x] += buf[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) norms[s] = sqrtf(buf[0]);
}

extern "C" __global__ void dp_clip_sum_noise(const float* __restrict__ g,
                                             const float* __restrict__ norms,
                                             const float* __restrict__ z, int n, int d,
                                             float clip, float noise_scale, float denom,
                                             float* __restrict__ out) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= d) return;
    float acc = 0.0f;
    for (int s = 0; s < n; ++s) {
        const float f = fminf(clip / (norms[s] + 1e-6f), 1.0f);
        acc += f * g[(long long)s * d + j];
    }
    out[j] = (acc + noise_scale * z[j]) / denom;
}
