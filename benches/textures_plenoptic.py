"""Times plenoptic 1.3.0's PortillaSimoncelli on reptile_skin 256x256 as
benches/textures.rs times the port: forward (no_grad) and forward+backward (squared
distance to a fixed target, gradient w.r.t. the image), thread CPU time per call,
1 torch thread, and 10 iterations of the texture exercise's coarse-to-fine metamer. Run
by hand, right after `cargo bench --bench textures`:

    python3 benches/textures_plenoptic.py 2>/dev/null   # (stderr: the synthesis progress bars)

With `PLENOPTIC_BENCH_CLOCK=wall` (as for the Rust bench) it measures wall-clock time
with torch's default number of threads (all cores) instead.
"""

import os
import statistics
import sys
import time

import plenoptic as po
import torch

# `--only forward` or `--only forward_backward`: time that alone
# (`benches/textures_side_by_side.sh` runs this with `--only forward_backward`)
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv[:-1] else None
if ("--only" in sys.argv) != (ONLY in ("forward", "forward_backward")):
    sys.exit("--only takes forward or forward_backward")
# `--serve`: forward+backward on request, for `benches/textures_paired.rs` (wall-clock,
# torch's default threads): prints "ready", then for each line `n` read from stdin
# times n calls, one by one, and prints their times in ms on one line
SERVE = "--serve" in sys.argv
WALL = os.environ.get("PLENOPTIC_BENCH_CLOCK") == "wall" or SERVE
CLOCK = time.perf_counter if WALL else time.thread_time
CLOCK_NAME = f"wall-clock, {torch.get_num_threads()} torch threads" if WALL else "thread CPU time"
if not WALL:
    torch.set_num_threads(1)
img = po.data.reptile_skin()
ps = po.simul.PortillaSimoncelli(img.shape[-2:])
po.tools.set_seed(0)
target = ps(torch.rand_like(img)).detach()


def call_times(f, n):
    """The times of n calls of f, one by one, in ms."""
    out = []
    for _ in range(n):
        t = CLOCK()
        f()
        out.append((CLOCK() - t) * 1e3)
    return out


def timed(f, n=30, warm=3):
    for _ in range(warm):
        f()
    out = call_times(f, n)
    return statistics.median(out), min(out), max(out)


def forward():
    with torch.no_grad():
        ps(img)


def forward_backward():
    x = img.clone().requires_grad_(True)
    loss = (ps(x) - target).pow(2).mean()
    loss.backward()
    return x.grad


if SERVE:
    print("ready", flush=True)
    for line in sys.stdin:
        times = call_times(forward_backward, int(line))
        print(" ".join(f"{t:.4f}" for t in times), flush=True)
    sys.exit(0)

for name, f in [("forward", forward), ("forward_backward", forward_backward)]:
    if ONLY and name != ONLY:
        continue
    med, lo, hi = timed(f)
    print(f"plenoptic PS {name}: median {med:.1f} ms (min {lo:.1f}, max {hi:.1f}), {CLOCK_NAME}")
if ONLY:
    sys.exit(0)

# the texture exercise's synthesis loop, as benches/textures.rs' metamer_ctf_256: 10
# iterations of its coarse-to-fine metamer past the coarse stages (from iteration 18 on,
# the whole model), per sample
met = po.synth.MetamerCTF(img, ps, loss_function=po.tools.optim.l2_norm)
met.setup(initial_image=torch.rand_like(img))
met.synthesize(18, change_scale_criterion=None, ctf_iters_to_check=3)
out = call_times(
    lambda: met.synthesize(10, change_scale_criterion=None, ctf_iters_to_check=3), 5
)
print(
    f"plenoptic MetamerCTF 10 iterations: median {statistics.median(out):.0f} ms "
    f"(min {min(out):.0f}, max {max(out):.0f}), {CLOCK_NAME}"
)
