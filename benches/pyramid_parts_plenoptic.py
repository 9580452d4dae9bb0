"""plenoptic 1.3.0's `SteerablePyramidFreq.forward(x, scales)` and `steer_coeffs`, for the
hand check of `examples/pyramid_parts_check.rs` (run by hand, not by the tests):

    /work/plenv/bin/python benches/pyramid_parts_plenoptic.py OUT_DIR
    cargo run --release --example pyramid_parts_check -- OUT_DIR

einstein 256x256, height 4, orders 3 and 2: the bands of scales [2, "residual_lowpass"]
and of ["residual_highpass", 0], and every scale steered to angles [0.3, 1.234, -2.0, 7.5]
with even_phase True and False, in float32 and float64. Writes each result's bands in
plenoptic's dictionary order (raw float64) and the steering weights.
"""

import sys
from pathlib import Path

import numpy as np
import torch

import plenoptic as po

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
ANGLES = [0.3, 1.234, -2.0, 7.5]


def flat(coeffs):
    return np.concatenate([v.detach().numpy().astype(np.float64).ravel() for v in coeffs.values()])


for dtype, name in [(torch.float32, "f32"), (torch.float64, "f64")]:
    img = po.data.einstein().to(dtype)
    for order in [3, 2]:
        pyr = po.simul.SteerablePyramidFreq(img.shape[-2:], height=4, order=order).to(dtype)
        for tag, scales in [("sub_2_lp", [2, "residual_lowpass"]), ("sub_hp_0", ["residual_highpass", 0])]:
            flat(pyr(img, scales=scales)).tofile(out / f"{tag}_o{order}_{name}.f64")
        full = pyr(img)
        for even in [True, False]:
            st, w = pyr.steer_coeffs(full, ANGLES, even_phase=even)
            flat(st).tofile(out / f"steer_o{order}_{'even' if even else 'odd'}_{name}.f64")
            np.concatenate([v.numpy().astype(np.float64).ravel() for v in w.values()]).tofile(
                out / f"weights_o{order}_{'even' if even else 'odd'}_{name}.f64"
            )
print("written to", out)
