//! Hot loops compiled twice: for AVX2 and for the baseline target, chosen at run time.

/// Runs `f`, compiled for AVX2 (and AVX) when the CPU has them (checked at run time), else
/// for the baseline target. Rust does not contract `a * b + c` into FMAs, so both give the
/// same bits; AVX2 only does more lanes per instruction.
///
/// `f` must be inlined into the AVX2 copy to be compiled for it: pass a closure marked
/// `#[inline(always)]` whose loops are `#[inline(always)]` too, as in
/// `simd::avx2(#[inline(always)] || fill(x, d, f))`.
#[inline(always)]
pub(crate) fn avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn on_avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above
            return unsafe { on_avx2(f) };
        }
    }
    f()
}

/// Whether the CPU has AVX2 and FMA: the condition for the hand-written kernels
/// (`#[target_feature(enable = "avx2,fma")]`) that the statistics and the spectral op
/// pick over their portable loops.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Whether the CPU also has AVX-512 on 256-bit vectors (AVX-512F and VL): the
/// autocorrelations' row kernels then take their shifted windows of a row from two
/// loaded vectors by `valignd` instead of loading each (a load at a shift crosses a
/// cache line nearly half the time).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512vl() -> bool {
    has_avx2_fma()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
}
