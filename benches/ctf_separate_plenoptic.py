"""plenoptic 1.3.0's MetamerCTF with coarse_to_fine="separate" on a small case, for the
hand check of `examples/ctf_separate_check.rs` (run by hand, not by the tests):

    /work/plenv/bin/python benches/ctf_separate_plenoptic.py OUT_DIR
    cargo run --release --example ctf_separate_check -- OUT_DIR

reptile_skin's 64x64 crop at rows/columns 96..160, PortillaSimoncelli(n_scales=3,
spatial_corr_width=7), l2_norm, init as the reference README's CTF run
(set_seed(0); rand_like(img) * .2 + img.mean()), 40 iterations, change_scale_criterion
None, ctf_iters_to_check 3. Writes the crop and init (float32, raw), the losses and
scales_loss (float64, raw) and the schedule (scales_timing, text).
"""

import sys
from pathlib import Path

import numpy as np
import torch

import plenoptic as po

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)
img = po.data.reptile_skin()[..., 96:160, 96:160].contiguous()
ps = po.simul.PortillaSimoncelli(img.shape[-2:], n_scales=3, spatial_corr_width=7)
po.tools.set_seed(0)
im_init = torch.rand_like(img) * 0.2 + img.mean()
met = po.synth.MetamerCTF(
    img, ps, loss_function=po.tools.optim.l2_norm, coarse_to_fine="separate"
)
met.setup(im_init)
met.synthesize(
    max_iter=40, store_progress=1, change_scale_criterion=None, ctf_iters_to_check=3
)
img.numpy().astype(np.float32).tofile(out / "img.f32")
im_init.numpy().astype(np.float32).tofile(out / "init.f32")
np.asarray(met.losses, dtype=np.float64).tofile(out / "losses.f64")
np.asarray(met.scales_loss, dtype=np.float64).tofile(out / "scales_loss.f64")
np.asarray(met.gradient_norm, dtype=np.float64).tofile(out / "gradient_norm.f64")
met.saved_metamer.detach().numpy().astype(np.float32).tofile(out / "saved.f32")
with open(out / "timing.txt", "w") as f:
    for k, v in met.scales_timing.items():
        f.write(f"{k} {' '.join(str(i) for i in v)}\n")
print("scales_timing", met.scales_timing)
print("losses[:8]", np.asarray(met.losses[:8]))
print("scales_loss[:8]", np.asarray(met.scales_loss[:8]))
