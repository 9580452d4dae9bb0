//! Settings shared by every copy of the crate in one process: the random generator
//! ([`crate::tools::set_seed`]), [`crate::synthesize::show_progress`], the chosen device
//! ([`crate::device::select`]) and the warnings already printed.
//!
//! **Why.** The evcxr kernel links the crate into every notebook cell's library, so each
//! cell has its own copy of every `static`. Kept in plain statics, `set_seed(0)` in one
//! cell would not seed the next cell's noise (each cell started the generator afresh and
//! drew the same numbers), and `show_progress(false)` or a chosen GPU would hold for one
//! cell only.
//!
//! **How.** The first copy that needs a setting leaks one value and records its address
//! in an environment variable of the process; later copies find it there. The variable's
//! name carries the crate's version and the value's size and alignment, and its value
//! carries the process id, so neither another build's layout nor a child process (which
//! inherits the environment but not the memory) can take the address.

use std::sync::OnceLock;

/// The process-wide value named `name` (made by `init` in the first copy of the crate
/// that asks), cached in this copy's `slot`.
pub(crate) fn shared<T: Send + Sync + 'static>(
    slot: &'static OnceLock<&'static T>,
    name: &str,
    init: impl FnOnce() -> T,
) -> &'static T {
    slot.get_or_init(|| {
        let key = format!(
            "PLENOPTIC_SHARED_{name}_{}_{}_{}",
            env!("CARGO_PKG_VERSION").replace('.', "_"),
            std::mem::size_of::<T>(),
            std::mem::align_of::<T>()
        );
        let pid = std::process::id();
        if let Some(addr) = std::env::var(&key).ok().and_then(|v| parse(&v, pid)) {
            // SAFETY: the address was recorded by a copy of this same crate version in
            // this process (the pid matches), for a leaked, never freed `T` of the same
            // size and alignment; `T: Sync`, so sharing a reference across threads is fine.
            return unsafe { &*(addr as *const T) };
        }
        let value: &'static T = Box::leak(Box::new(init()));
        std::env::set_var(&key, format!("{pid}:{:x}", value as *const T as usize));
        value
    })
}

/// The address in `value` (`"<pid>:<hex address>"`) when it was recorded by process `pid`.
fn parse(value: &str, pid: u32) -> Option<usize> {
    let (p, addr) = value.split_once(':')?;
    if p.parse::<u32>().ok()? != pid {
        return None;
    }
    usize::from_str_radix(addr, 16).ok().filter(|&a| a != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn a_second_copy_finds_the_first_copys_value() {
        // two slots stand for two copies of the crate (two notebook cells)
        static FIRST: OnceLock<&'static AtomicU32> = OnceLock::new();
        static SECOND: OnceLock<&'static AtomicU32> = OnceLock::new();
        let a = shared(&FIRST, "test_counter", || AtomicU32::new(7));
        a.store(11, Ordering::Relaxed);
        let b = shared(&SECOND, "test_counter", || AtomicU32::new(0));
        assert!(std::ptr::eq(a, b));
        assert_eq!(b.load(Ordering::Relaxed), 11);
    }

    #[test]
    fn an_address_recorded_by_another_process_is_not_taken() {
        let pid = std::process::id();
        assert_eq!(parse(&format!("{pid}:1f0"), pid), Some(0x1f0));
        assert_eq!(parse(&format!("{}:1f0", pid + 1), pid), None);
        assert_eq!(parse(&format!("{pid}:0"), pid), None);
        assert_eq!(parse("garbage", pid), None);
    }
}
