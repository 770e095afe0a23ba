"""One round of the BLAS anchor for packages/native/bench/kernels.mjs: GFLOP/s of NumPy and PyTorch
(OpenBLAS, one thread: the caller sets OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE) on the same
three products per layer. argv[1]: JSON list of {name, m, k, n}. Prints one JSON object a line."""
import json, sys, time
import numpy as np

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


def gflops(fn, flops, min_s=0.12):
    fn(); fn()
    calls, t0 = 0, time.perf_counter()
    while True:
        fn(); calls += 1
        t = time.perf_counter()
        if t - t0 >= min_s:
            return flops * calls / (t - t0) / 1e9


rng = np.random.default_rng(0)
for s in json.loads(sys.argv[1]):
    m, k, n = s['m'], s['k'], s['n']
    y = rng.standard_normal((m, k), dtype=np.float32)   # (m, k)
    W = rng.standard_normal((k, n), dtype=np.float32)   # (k, n)
    dv = rng.standard_normal((m, n), dtype=np.float32)  # (m, n)
    v, dy, dW = np.empty((m, n), np.float32), np.empty((m, k), np.float32), np.empty((k, n), np.float32)
    cases = {
        'numpy': {'gemmBias': lambda: np.matmul(y, W, out=v), 'gemmNT': lambda: np.matmul(dv, W.T, out=dy), 'gemmTNAcc': lambda: np.matmul(y.T, dv, out=dW)},
    }
    if torch is not None:
        ty, tW, tdv = torch.from_numpy(y), torch.from_numpy(W), torch.from_numpy(dv)
        tv, tdy, tdW = torch.from_numpy(v), torch.from_numpy(dy), torch.from_numpy(dW)
        cases['torch'] = {'gemmBias': lambda: torch.mm(ty, tW, out=tv), 'gemmNT': lambda: torch.mm(tdv, tW.t(), out=tdy), 'gemmTNAcc': lambda: torch.mm(ty.t(), tdv, out=tdW)}
    with (torch.no_grad() if torch is not None else open('/dev/null')):
        for system, fns in cases.items():
            for product, fn in fns.items():
                print(json.dumps({'name': s['name'], 'product': product, 'system': system, 'gflops': gflops(fn, 2.0 * m * k * n)}), flush=True)
