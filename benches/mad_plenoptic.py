"""plenoptic 1.3.0's MAD iteration on einstein 256x256 (1 - SSIM weighted reflect vs MSE,
min, lambda 1e4), timed as benches/mad.rs times the Rust one: blocks of 5 iterations after
a warm-up, median (min..max) ms per iteration, wall clock and the thread's CPU time
(``time.thread_time``, as the Rust bench). Threads from argv[1] (default 1).

    python3 benches/mad_plenoptic.py 1
"""

import sys
import time
import warnings

import torch

import plenoptic as po

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
warnings.simplefilter("ignore")


def model1(*args):
    return 1 - po.metric.ssim(*args, weighted=True, pad="reflect")


img = po.data.einstein()
mad = po.synth.MADCompetition(
    img, model1, po.metric.mse, "min", metric_tradeoff_lambda=1e4
)
po.tools.set_seed(0)
mad.setup(0.04)
mad.synthesize(5)
ms, cpu = [], []
for _ in range(20):
    t, c = time.perf_counter(), time.thread_time()
    mad.synthesize(5, stop_criterion=0)
    ms.append((time.perf_counter() - t) * 1e3 / 5)
    cpu.append((time.thread_time() - c) * 1e3 / 5)
for name, v in (("wall", ms), ("thread cpu", cpu)):
    v.sort()
    print(
        f"plenoptic MAD iteration, {torch.get_num_threads()} thread(s), {name}: median "
        f"{v[len(v) // 2]:.2f} ms ({v[0]:.2f}..{v[-1]:.2f}), 20 blocks of 5"
    )
