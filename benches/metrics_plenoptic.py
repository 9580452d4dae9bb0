"""plenoptic 1.3.0's side of benches/metrics.rs: the same six cases on einstein against
the noisy einstein (256x256, float32), timed by the thread's CPU time
(``time.thread_time``) with one torch thread, as the Rust bench times its thread.

Run by hand: ``python3 benches/metrics_plenoptic.py`` (prints the median,
min and max ms per call of each case, and the load average).
"""

import os
import statistics
import time
from pathlib import Path

import numpy as np
import plenoptic as po
import torch

torch.set_num_threads(1)
HERE = Path(__file__).resolve().parent
a = po.data.einstein()
b = torch.from_numpy(
    np.load(HERE / "../../shared/reference-textures/metrics_noisy_einstein.npy")
)[None, None]


def fwd_bwd(metric, one_minus=False):
    x = b.clone().requires_grad_()
    y = metric(a, x)
    if one_minus:
        y = 1 - y
    y.sum().backward()
    return x.grad


CASES = {
    "ssim_forward": lambda: po.metric.ssim(a, b),
    "ssim_forward_backward": lambda: fwd_bwd(po.metric.ssim),
    "one_minus_ssim_weighted_reflect_forward_backward": lambda: fwd_bwd(
        lambda p, q: po.metric.ssim(p, q, weighted=True, pad="reflect"), True
    ),
    "nlpd_forward": lambda: po.metric.nlpd(a, b),
    "nlpd_forward_backward": lambda: fwd_bwd(po.metric.nlpd),
    "ms_ssim_forward_backward": lambda: fwd_bwd(po.metric.ms_ssim),
}

if __name__ == "__main__":
    print(f"load average before: {os.getloadavg()}")
    for name, f in CASES.items():
        for _ in range(3):
            f()
        times = []
        for _ in range(30):
            t0 = time.thread_time()
            f()
            times.append((time.thread_time() - t0) * 1e3)
        print(
            f"{name}: median {statistics.median(times):.2f} ms "
            f"(min {min(times):.2f}, max {max(times):.2f}), 30 calls, thread CPU time"
        )
    print(f"load average after: {os.getloadavg()}")
