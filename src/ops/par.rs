//! Work shared out over the CPU's cores (rayon's thread pool): independent image planes,
//! or pieces of one, each computed whole by one thread, so results do not depend on the
//! number of threads. Small work stays on the calling thread.

use rayon::prelude::*;

/// Elements of work below which splitting costs more than it gains.
const MIN_PARALLEL: usize = 1 << 14;

/// Whether work of `n` items of `size` elements each is worth splitting.
pub(crate) fn worth(n: usize, size: usize) -> bool {
    worth_jobs(n, n * size)
}

/// Whether `n` jobs of `total` elements of work in all are worth sharing out.
fn worth_jobs(n: usize, total: usize) -> bool {
    n > 1 && total >= MIN_PARALLEL && rayon::current_num_threads() > 1
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

/// `f(job)` for each of `jobs`, the results in the jobs' order: on several threads when
/// the jobs, `total` elements of work in all, are worth sharing out (as for [`worth`]),
/// else in order on this thread. Each job runs whole on one thread (rayon hands them out
/// one at a time, so uneven jobs balance).
pub(crate) fn map<T: Send, R: Send>(
    jobs: Vec<T>,
    total: usize,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    if worth_jobs(jobs.len(), total) {
        jobs.into_par_iter().with_max_len(1).map(f).collect()
    } else {
        jobs.into_iter().map(f).collect()
    }
}

/// [`pieces`] over three slices cut alike: `f(i, (a_i, b_i, c_i))`.
pub(crate) fn pieces3<T: Send>(
    a: &mut [T],
    b: &mut [T],
    c: &mut [T],
    size: usize,
    f: impl Fn(usize, (&mut [T], &mut [T], &mut [T])) + Sync,
) {
    if worth(a.len().div_ceil(size.max(1)), size) {
        a.par_chunks_mut(size)
            .zip(b.par_chunks_mut(size))
            .zip(c.par_chunks_mut(size))
            .enumerate()
            .for_each(|(i, ((a, b), c))| f(i, (a, b, c)));
    } else {
        a.chunks_mut(size)
            .zip(b.chunks_mut(size))
            .zip(c.chunks_mut(size))
            .enumerate()
            .for_each(|(i, ((a, b), c))| f(i, (a, b, c)));
    }
}

/// [`pieces`] over two slices cut alike: `f(i, (a_i, b_i))`.
pub(crate) fn pieces2<T: Send>(
    a: &mut [T],
    b: &mut [T],
    size: usize,
    f: impl Fn(usize, (&mut [T], &mut [T])) + Sync,
) {
    if worth(a.len().div_ceil(size.max(1)), size) {
        a.par_chunks_mut(size)
            .zip(b.par_chunks_mut(size))
            .enumerate()
            .for_each(|(i, (a, b))| f(i, (a, b)));
    } else {
        a.chunks_mut(size)
            .zip(b.chunks_mut(size))
            .enumerate()
            .for_each(|(i, (a, b))| f(i, (a, b)));
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

    #[test]
    fn map_keeps_the_jobs_order() {
        for n in [0usize, 1, 3, 100] {
            let got = map((0..n).collect(), 1 << 20, |i| i * i);
            assert_eq!(got, (0..n).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn pieces2_and_pieces3_cut_every_slice_alike() {
        for (n, size) in [(10usize, 3usize), (1 << 16, 1 << 12)] {
            let want: Vec<usize> = (0..n).map(|j| j / size + 1).collect();
            let (mut a, mut b, mut c) = (vec![0usize; n], vec![0usize; n], vec![0usize; n]);
            pieces3(&mut a, &mut b, &mut c, size, |i, (a, b, c)| {
                for s in [a, b, c] {
                    s.iter_mut().for_each(|x| *x += i + 1);
                }
            });
            assert_eq!((&a, &b, &c), (&want, &want, &want), "n {n} size {size}");
            let (mut a, mut b) = (vec![0usize; n], vec![0usize; n]);
            pieces2(&mut a, &mut b, size, |i, (a, b)| {
                a.iter_mut().chain(b.iter_mut()).for_each(|x| *x += i + 1)
            });
            assert_eq!((&a, &b), (&want, &want), "n {n} size {size}");
        }
    }
}
