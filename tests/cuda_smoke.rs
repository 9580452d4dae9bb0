//! Smoke test of dfdx's CUDA device as this crate builds it (`--features cuda`), independent
//! of the crate's own code: device creation (libcuda), the PTX kernels dfdx compiles with
//! nvcc at build time, cuBLAS (matmul), and the kernels dfdx compiles with NVRTC at run time
//! with the include dirs baked in at build time (reshape of a permuted tensor, concat,
//! to_dtype). Runs on the GPU machine from the bundle of `kernel-setup/cuda-build.sh`.
#![cfg(feature = "cuda")]

use dfdx::prelude::*;

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

#[test]
fn cuda_matches_cpu() {
    let gpu = Cuda::try_build(0, 0).expect("CUDA device 0");
    let cpu = Cpu::default();
    let a_cpu: Tensor<Rank2<64, 48>, f32, _> = cpu.sample_normal();
    let b_cpu: Tensor<Rank2<48, 32>, f32, _> = cpu.sample_normal();
    let a = a_cpu.to_device(&gpu);
    let b = b_cpu.to_device(&gpu);

    // PTX from build time (exp, sum), cuBLAS (matmul), backward
    let want = a_cpu
        .clone()
        .matmul(b_cpu.clone())
        .exp()
        .sum::<Rank0, _>()
        .array();
    let got = a.clone().matmul(b.clone()).exp().sum::<Rank0, _>().array();
    assert!(
        close(&[got], &[want], 1e-4),
        "matmul/exp/sum {got} vs {want}"
    );

    let g_cpu = a_cpu.clone().leaky_trace().square().mean().backward();
    let g_gpu = a.clone().leaky_trace().square().mean().backward();
    assert!(
        close(&g_gpu.get(&a).as_vec(), &g_cpu.get(&a_cpu).as_vec(), 1e-5),
        "gradient"
    );

    // NVRTC at run time: reshape of a non-contiguous tensor (#include "cuda_utils.cuh")
    let want = a_cpu
        .clone()
        .permute::<Rank2<48, 64>, _>()
        .reshape::<Rank1<3072>>()
        .as_vec();
    let got = a
        .clone()
        .permute::<Rank2<48, 64>, _>()
        .reshape::<Rank1<3072>>()
        .as_vec();
    assert!(close(&got, &want, 0.0), "reshape of permuted tensor");

    // NVRTC at run time: concat (#include "cuda_fp16.h")
    let dyn_cpu = || a_cpu.clone().realize::<(usize, Const<48>)>();
    let dyn_gpu = || a.clone().realize::<(usize, Const<48>)>();
    let want = (dyn_cpu(), dyn_cpu()).concat_along(Axis::<0>).as_vec();
    let got = (dyn_gpu(), dyn_gpu()).concat_along(Axis::<0>).as_vec();
    assert!(close(&got, &want, 0.0), "concat_along");

    // NVRTC at run time: to_dtype (#include "cuda_fp16.h")
    let want = a_cpu.to_dtype::<f64>().as_vec();
    let got = a.to_dtype::<f64>().as_vec();
    assert!(want.iter().zip(&got).all(|(x, y)| x == y), "to_dtype");
}
