// Element-wise optimizer steps (single precision), one thread per parameter, grid-stride loops.
// The CPU references are kernels/src/optim/{sgd,adam,diffgrad,sgd_sai}.rs; every kernel follows
// the same arithmetic order so that results agree to rounding.

// SGD as torch.optim.SGD: d = g + wd p; with momentum b = first ? d : mu b + (1 - damp) d and
// the step is d + mu b (Nesterov) or b.
extern "C" __global__ void sgd_step(float* __restrict__ p, const float* __restrict__ g,
                                    float* __restrict__ b, long long n, float lr, float mu,
                                    float damp, float wd, int nesterov, int first) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float d = g[i] + wd * p[i];
        if (mu != 0.0f) {
            float bi = first ? d : mu * b[i] + (1.0f - damp) * d;
            b[i] = bi;
            d = nesterov ? d + mu * bi : bi;
        }
        p[i] -= lr * d;
    }
}

// Adam / AdamW as torch.optim: p *= shrink (decoupled decay), d = g + l2 p, moments, then
// p -= step_size m / (sqrt(v) / bc2_sqrt + eps).
extern "C" __global__ void adam_step(float* __restrict__ p, const float* __restrict__ g,
                                     float* __restrict__ m, float* __restrict__ v, long long n,
                                     float step_size, float b1, float b2, float eps,
                                     float bc2_sqrt, float l2, float shrink) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float pi = p[i] * shrink;
        float d = g[i] + l2 * pi;
        float mi = b1 * m[i] + (1.0f - b1) * d;
        float vi = b2 * v[i] + (1.0f - b2) * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    }
}

// diffGrad as torch_optimizer.DiffGrad: xi = sigmoid(|prev - d|) (prev copied when `remember`),
// or the constant `xi_const` when `constant` is set; p -= step_size xi m / (sqrt(v) + eps).
extern "C" __global__ void diffgrad_step(float* __restrict__ p, const float* __restrict__ g,
                                         float* __restrict__ m, float* __restrict__ v,
                                         float* __restrict__ prev, long long n, float step_size,
                                         float b1, float b2, float eps, float wd, int constant,
                                         float xi_const, int remember) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float d = g[i] + wd * p[i];
        float mi = b1 * m[i] + (1.0f - b1) * d;
        float vi = b2 * v[i] + (1.0f - b2) * d * d;
        m[i] = mi;
        v[i] = vi;
        float xi = xi_const;
        if (!constant) {
            xi = 1.0f / (1.0f + expf(-fabsf(prev[i] - d)));
            if (remember) prev[i] = d;
        }
        p[i] -= xi * (step_size * mi / (sqrtf(vi) + eps));
    }
}

// SGD-SaI on one tensor, elements [offset, offset + n) of the flat buffers:
// b = first ? g : mu b + (1 - mu) g; p = p shrink - step b, where step = lr * (the tensor's scale).
extern "C" __global__ void sgd_sai_step(float* __restrict__ p, const float* __restrict__ g,
                                        float* __restrict__ b, long long offset, long long n,
                                        float step, float mu, float shrink, int first) {
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < n;
         j += (long long)blockDim.x * gridDim.x) {
        long long i = offset + j;
        float bi = first ? g[i] : mu * b[i] + (1.0f - mu) * g[i];
        b[i] = bi;
        p[i] = p[i] * shrink - step * bi;
    }
}

// sign-SGD: p -= lr sign(g), sign(0) = 0.
extern "C" __global__ void sign_sgd_step(float* __restrict__ p, const float* __restrict__ g,
                                         long long n, float lr) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float s = g[i] > 0.0f ? 1.0f : (g[i] < 0.0f ? -1.0f : 0.0f);
        p[i] -= lr * s;
    }
}
