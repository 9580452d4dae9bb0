//! Work shared out over the CPU's cores: independent image planes, or pieces of one, each
//! computed whole by one thread, so results do not depend on the number of threads. Small
//! work stays on the calling thread. The threads are [`team`]'s, as many as rayon's
//! current pool has (`RAYON_NUM_THREADS`, or a pool installed by the caller).

mod team;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

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

/// `f(job)` for each of `jobs` on this thread and the team's, handed out one at a time in
/// the order `order` (indices into `jobs`), the results in the jobs' order.
fn share<T: Send, R: Send>(jobs: Vec<T>, order: &[usize], f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = jobs.len();
    debug_assert_eq!(order.len(), n);
    let jobs: Vec<Mutex<Option<T>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let out: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let lock = |m: &Mutex<Option<T>>| m.lock().unwrap_or_else(|e| e.into_inner()).take();
    team::run_on(rayon::current_num_threads().min(n), &|| loop {
        let k = next.fetch_add(1, Relaxed);
        let Some(&i) = order.get(k) else {
            break;
        };
        if let Some(job) = lock(&jobs[i]) {
            let r = f(job);
            *out[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
    });
    out.into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job ran")
        })
        .collect()
}

/// [`share`] in the jobs' order.
fn share_in_order<T: Send, R: Send>(jobs: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let order: Vec<usize> = (0..jobs.len()).collect();
    share(jobs, &order, f)
}

/// `f(i, piece)` for every `size`-element piece `i` of `data`, on several threads when
/// [`worth`] it, else in order on this thread.
pub(crate) fn pieces<T: Send>(data: &mut [T], size: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if worth(data.len().div_ceil(size.max(1)), size) {
        share_in_order(data.chunks_mut(size).enumerate().collect(), |(i, p)| {
            f(i, p)
        });
    } else {
        data.chunks_mut(size).enumerate().for_each(|(i, p)| f(i, p));
    }
}

/// `f(job)` for each of `jobs`, the results in the jobs' order: on several threads when
/// the jobs, of `size(job)` elements of work each, are worth sharing out (as for
/// [`worth`]), else in order on this thread. Each job runs whole on one thread; they are
/// handed out one at a time, largest first, so uneven jobs balance and the last to
/// finish are small.
pub(crate) fn map<T: Send, R: Send>(
    jobs: Vec<T>,
    size: impl Fn(&T) -> usize,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    let sizes: Vec<usize> = jobs.iter().map(size).collect();
    if worth_jobs(jobs.len(), sizes.iter().sum()) {
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
        share(jobs, &order, f)
    } else {
        jobs.into_iter().map(f).collect()
    }
}

/// `(a(), b())`, on two threads when `total` elements of work in all are worth sharing
/// out (as for [`worth`]), else in order on this thread.
pub(crate) fn join<A: Send, B: Send>(
    total: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !worth_jobs(2, total) {
        return (a(), b());
    }
    enum Either<A, B> {
        A(A),
        B(B),
    }
    let jobs = vec![Either::A(a), Either::B(b)];
    let mut out = share_in_order(jobs, |j| match j {
        Either::A(a) => Either::A(a()),
        Either::B(b) => Either::B(b()),
    })
    .into_iter();
    match (out.next(), out.next()) {
        (Some(Either::A(a)), Some(Either::B(b))) => (a, b),
        _ => unreachable!("share keeps the jobs' order"),
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
    let n = a.len().div_ceil(size.max(1));
    let it = a
        .chunks_mut(size)
        .zip(b.chunks_mut(size))
        .zip(c.chunks_mut(size))
        .enumerate();
    if worth(n, size) {
        share_in_order(it.collect(), |(i, ((a, b), c))| f(i, (a, b, c)));
    } else {
        it.for_each(|(i, ((a, b), c))| f(i, (a, b, c)));
    }
}

/// [`pieces`] over two slices cut alike: `f(i, (a_i, b_i))`.
pub(crate) fn pieces2<T: Send>(
    a: &mut [T],
    b: &mut [T],
    size: usize,
    f: impl Fn(usize, (&mut [T], &mut [T])) + Sync,
) {
    let n = a.len().div_ceil(size.max(1));
    let it = a.chunks_mut(size).zip(b.chunks_mut(size)).enumerate();
    if worth(n, size) {
        share_in_order(it.collect(), |(i, (a, b))| f(i, (a, b)));
    } else {
        it.for_each(|(i, (a, b))| f(i, (a, b)));
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
            let got = map((0..n).collect(), |&i| (i % 7) << 16, |i| i * i);
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
