//! Fixed-width chunks for the host loops of the synthesis kernels (Adam, the objective):
//! a loop over `[T; LANES]` arrays has no bounds checks and keeps [`LANES`] independent
//! f64 partial sums, so the compiler vectorises it.

/// Defines `fn $name` (signature as written) running `$body`, compiled twice: for AVX,
/// called when the CPU has it (checked at run time), and for the baseline target.
/// Without FMA contraction both give the same bits; AVX only does twice as many lanes
/// per instruction.
macro_rules! avx_dispatch {
    (
        $(#[$m:meta])*
        fn $name:ident<$(const $c:ident: bool),*>($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block
    ) => {
        $(#[$m])*
        #[inline(never)]
        fn $name<$(const $c: bool),*>($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body<$(const $c: bool),*>($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx")]
            unsafe fn avx<$(const $c: bool),*>($($arg: $ty),*) -> $ret {
                body::<$($c),*>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                // SAFETY: the CPU has AVX, checked just above
                return unsafe { avx::<$($c),*>($($arg),*) };
            }
            body::<$($c),*>($($arg),*)
        }
    };
}
pub(crate) use avx_dispatch;

/// Elements per chunk, and partial sums per reduction.
pub(crate) const LANES: usize = 8;

/// Chunk `k` of `s` as an array.
#[inline(always)]
pub(crate) fn chunk<T>(s: &[T], k: usize) -> &[T; LANES] {
    s[k * LANES..(k + 1) * LANES]
        .try_into()
        .expect("a chunk has LANES elements")
}

/// Chunk `k` of `s` as a mutable array.
#[inline(always)]
pub(crate) fn chunk_mut<T>(s: &mut [T], k: usize) -> &mut [T; LANES] {
    (&mut s[k * LANES..(k + 1) * LANES])
        .try_into()
        .expect("a chunk has LANES elements")
}

/// The number of whole chunks in `n` elements, and the first element after them.
#[inline(always)]
pub(crate) fn whole(n: usize) -> (usize, usize) {
    (n / LANES, n - n % LANES)
}
