//! Work shared out over the CPU's cores (rayon's thread pool): independent image planes,
//! or pieces of one, each computed whole by one thread, so results do not depend on the
//! number of threads. Small work stays on the calling thread.

use rayon::prelude::*;

/// Elements of work below which splitting costs more than it gains.
const MIN_PARALLEL: usize = 1 << 14;

/// Whether work of `n` items of `size` elements each is worth splitting.
pub(crate) fn worth(n: usize, size: usize) -> bool {
    n > 1 && n * size >= MIN_PARALLEL && rayon::current_num_threads() > 1
}

/// `f(i, piece)` for every `size`-element piece `i` of `data`, on several threads when
/// [`worth`] it, else in order on this thread.
pub(crate) fn pieces<T: Send>(data: &mut [T], size: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if worth(data.len().div_ceil(size.max(1)), size) {
        data.par_chunks_mut(size)
            .enumerate()
            .for_each(|(i, p)| f(i, p));
    } else {
        data.chunks_mut(size).enumerate().for_each(|(i, p)| f(i, p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_visits_every_piece_once_with_its_index() {
        for (n, size) in [(10usize, 3usize), (1 << 16, 1 << 12), (5, 8)] {
            let mut v = vec![0usize; n];
            pieces(&mut v, size, |i, p| p.iter_mut().for_each(|x| *x += i + 1));
            let want: Vec<usize> = (0..n).map(|j| j / size + 1).collect();
            assert_eq!(v, want, "n {n} size {size}");
        }
    }
}
