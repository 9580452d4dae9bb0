//! The threads the CPU kernels share work with: a fixed team that waits for work by
//! spinning for a while before it sleeps.
//!
//! rayon's idle threads sleep within microseconds of running out of work, and waking a
//! sleeping thread takes 100-150 us on this project's 2-core virtual machines (the
//! halted virtual CPU has to be scheduled again): a `rayon::join` of two 50 us halves
//! took 145 us there after 200 us of serial work. The kernels share out a few pieces of
//! work at a time with short serial steps between, so a Portilla-Simoncelli
//! forward+backward paid that wake-up about ten times. The team's threads instead spin
//! for [`SPIN`] after each piece of work (yielding the CPU to anything else that wants
//! it) and only then sleep, so work handed out in a loop starts at once.
//!
//! One caller at a time uses the team; a second caller meanwhile (or a job of the first
//! that shares out work of its own) does its work on its own thread.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Mutex, OnceLock, TryLockError};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a team thread waits for more work, spinning, before it sleeps.
const SPIN: Duration = Duration::from_millis(1);

/// Most team threads.
const MAX_THREADS: usize = 63;

/// The `active` word's flag: the current work takes no more threads.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// The work being shared out: each thread that takes part calls it once.
struct Work<'a> {
    body: &'a (dyn Fn() + Sync),
    /// Team threads `0..helpers` may take part.
    helpers: usize,
}

struct Team {
    /// Held by the caller whose work the team is doing.
    dispatch: Mutex<()>,
    /// The current [`Work`] (on its caller's stack; valid while `active` is open or
    /// counts a thread).
    work: AtomicPtr<Work<'static>>,
    /// Bumped each time work is handed out.
    epoch: AtomicU64,
    /// Threads inside the current work, plus [`CLOSED`].
    active: AtomicUsize,
    /// The first panic of a team thread in the current work.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    threads: Mutex<Vec<Member>>,
}

struct Member {
    thread: Thread,
    asleep: &'static AtomicBool,
}

fn team() -> &'static Team {
    static TEAM: OnceLock<Team> = OnceLock::new();
    TEAM.get_or_init(|| Team {
        dispatch: Mutex::new(()),
        work: AtomicPtr::new(std::ptr::null_mut()),
        epoch: AtomicU64::new(0),
        active: AtomicUsize::new(CLOSED),
        panic: Mutex::new(None),
        threads: Mutex::new(Vec::new()),
    })
}

/// Calls `body` on this thread and on up to `threads - 1` team threads at once, and
/// returns when every call has returned. `body` is expected to take its pieces of work
/// from a shared counter, so that the calls divide the work between them however many
/// there are (one call, on this thread, when the team is busy with another caller's
/// work). A panic in any call is raised again here.
pub(crate) fn run_on(threads: usize, body: &(dyn Fn() + Sync)) {
    let helpers = threads.saturating_sub(1).min(MAX_THREADS);
    let t = team();
    let guard = match t.dispatch.try_lock() {
        _ if helpers == 0 => return body(),
        Ok(g) => g,
        // (a caller's panic poisoned it; the team is fine: see `Close`)
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return body(),
    };
    // (a panic left by a caller that panicked itself)
    t.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
    let members = grow(t, helpers);
    let work = Work { body, helpers };
    // SAFETY (of the workers' dereference): `work` outlives every thread's use of it:
    // `Close` below waits, even when `body` panics here, until no team thread is
    // inside, and after closing no thread enters.
    t.work
        .store(&work as *const Work<'_> as *mut Work<'static>, Release);
    t.active.fetch_and(!CLOSED, SeqCst);
    t.epoch.fetch_add(1, SeqCst);
    for m in members.iter().take(helpers) {
        if m.asleep.load(SeqCst) {
            m.thread.unpark();
        }
    }
    drop(members);
    struct Close<'a>(&'a Team);
    impl Drop for Close<'_> {
        fn drop(&mut self) {
            self.0.active.fetch_or(CLOSED, SeqCst);
            let mut spins = 0u32;
            while self.0.active.load(Acquire) != CLOSED {
                spins += 1;
                if spins.is_multiple_of(64) {
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
    let close = Close(t);
    body();
    drop(close);
    let panic = t.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
    drop(guard);
    if let Some(p) = panic {
        resume_unwind(p);
    }
}

/// The team, with at least `n` threads started.
fn grow(t: &'static Team, n: usize) -> std::sync::MutexGuard<'static, Vec<Member>> {
    let mut members = t.threads.lock().unwrap_or_else(|e| e.into_inner());
    while members.len() < n {
        let index = members.len();
        let asleep: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let spawned = std::thread::Builder::new()
            .name(format!("plenoptic-{index}"))
            .spawn(move || member(t, index, asleep));
        match spawned {
            Ok(h) => members.push(Member {
                thread: h.thread().clone(),
                asleep,
            }),
            // (no thread: the work is divided among those there are)
            Err(_) => break,
        }
    }
    members
}

/// A team thread's life: wait for work (spinning, then asleep), take part, again.
fn member(t: &'static Team, index: usize, asleep: &'static AtomicBool) {
    let mut seen = t.epoch.load(Acquire);
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let e = t.epoch.load(Acquire);
            if e != seen {
                seen = e;
                break;
            }
            spins += 1;
            if !spins.is_multiple_of(64) {
                std::hint::spin_loop();
            } else if start.elapsed() < SPIN {
                std::thread::yield_now();
            } else {
                asleep.store(true, SeqCst);
                if t.epoch.load(SeqCst) == seen {
                    std::thread::park();
                }
                asleep.store(false, SeqCst);
            }
        }
        let before = t.active.fetch_add(1, SeqCst);
        if before & CLOSED == 0 {
            // SAFETY: the work is open and counts this thread, so its caller is waiting
            // (in `Close`) and `work` points to its live `Work`.
            let work = unsafe { &*t.work.load(Acquire) };
            if index < work.helpers {
                if let Err(p) = catch_unwind(AssertUnwindSafe(work.body)) {
                    let mut slot = t.panic.lock().unwrap_or_else(|e| e.into_inner());
                    slot.get_or_insert(p);
                }
            }
        }
        t.active.fetch_sub(1, Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_runs_once_on_any_number_of_threads() {
        for threads in [1, 2, 3] {
            for _ in 0..50 {
                let next = AtomicUsize::new(0);
                let hits: Vec<AtomicUsize> = (0..100).map(|_| AtomicUsize::new(0)).collect();
                run_on(threads, &|| loop {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= hits.len() {
                        break;
                    }
                    hits[i].fetch_add(1, Relaxed);
                });
                assert!(
                    hits.iter().all(|h| h.load(Relaxed) == 1),
                    "{threads} threads"
                );
            }
        }
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller_and_the_team_goes_on() {
        for _ in 0..20 {
            let r = std::panic::catch_unwind(|| {
                let next = AtomicUsize::new(0);
                run_on(2, &|| loop {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= 1000 {
                        break;
                    }
                    assert!(i != 500, "piece 500");
                    std::hint::black_box((0..100).sum::<usize>());
                })
            });
            assert!(r.is_err(), "the panic of piece 500 was lost");
            let count = AtomicUsize::new(0);
            let next = AtomicUsize::new(0);
            run_on(2, &|| {
                while next.fetch_add(1, Relaxed) < 100 {
                    count.fetch_add(1, Relaxed);
                }
            });
            assert_eq!(count.load(Relaxed), 100);
        }
    }
}
