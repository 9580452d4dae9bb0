//! plenoptic's warnings (Python's `warnings.warn`): a call that works but may not do what
//! was meant (SSIM of images outside [0, 1], of colour images, of images smaller than its
//! window) prints `warning: <message>` on stderr, once per message, and goes on.
//!
//! [`catch`] records the warnings of a piece of code instead of printing them (Python's
//! `warnings.catch_warnings(record=True)`), [`ignore`] drops them (plenoptic's MAD
//! tutorial silences the out-of-range warning that synthesis causes for a moment).
//!
//! ```
//! use plenoptic as po;
//! let a = po::image_from_vec(vec![0.5f32; 256], &[1, 1, 16, 16])?;
//! let b = po::image_from_vec(vec![2.0f32; 256], &[1, 1, 16, 16])?;
//! let (s, shown) = po::warnings::catch(|| po::metric::ssim(&a, &b));
//! assert!(s.is_ok());
//! assert_eq!(shown, ["Image range falls outside [0, 1]. SSIM output may not make sense."]);
//! # Ok::<(), po::Error>(())
//! ```

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

thread_local! {
    /// The warnings recorded by the [`catch`] calls running on this thread, innermost last.
    static CAUGHT: RefCell<Vec<Vec<String>>> = const { RefCell::new(Vec::new()) };
}

/// The messages printed so far (each is printed once), one set per process (shared by
/// every notebook cell: see `crate::shared`).
fn shown() -> &'static Mutex<BTreeSet<String>> {
    static SHOWN: OnceLock<&'static Mutex<BTreeSet<String>>> = OnceLock::new();
    crate::shared::shared(&SHOWN, "warnings_shown", || Mutex::new(BTreeSet::new()))
}

/// Issues the warning `message`: recorded by the innermost [`catch`] running on this
/// thread, or else printed on stderr if it was not printed before.
pub(crate) fn warn(message: impl Into<String>) {
    let message = message.into();
    let caught = CAUGHT
        .try_with(|c| match c.borrow_mut().last_mut() {
            Some(frame) => {
                frame.push(message.clone());
                true
            }
            None => false,
        })
        .unwrap_or(false);
    if caught {
        return;
    }
    let new = shown()
        .lock()
        .map(|mut s| s.insert(message.clone()))
        .unwrap_or(true);
    if new {
        eprintln!("warning: {message}");
    }
}

/// Pops the innermost frame of [`CAUGHT`] when dropped (also when `f` panics).
struct Frame;

impl Drop for Frame {
    fn drop(&mut self) {
        let _ = CAUGHT.try_with(|c| c.borrow_mut().pop());
    }
}

/// Runs `f` and returns its result with every warning it issued on this thread, in order
/// (each time it was issued), instead of printing them.
///
/// ```
/// use plenoptic as po;
/// let a = po::data::white_noise::<f32>(&[1, 3, 8, 8])?;
/// let (_, shown) = po::warnings::catch(|| po::metric::ssim(&a, &a));
/// assert!(shown.iter().any(|w| w.contains("computed separately for each channel")));
/// assert!(shown.iter().any(|w| w.contains("smaller than 11")));
/// # Ok::<(), po::Error>(())
/// ```
pub fn catch<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    CAUGHT.with(|c| c.borrow_mut().push(Vec::new()));
    let frame = Frame;
    let r = f();
    let shown = CAUGHT.with(|c| c.borrow_mut().last_mut().map(std::mem::take));
    drop(frame);
    (r, shown.unwrap_or_default())
}

/// Runs `f` without printing the warnings it issues on this thread.
///
/// ```
/// use plenoptic as po;
/// let a = po::image_from_vec(vec![2.0f32; 256], &[1, 1, 16, 16])?;
/// let s = po::warnings::ignore(|| po::metric::ssim(&a, &a))?; // no warning printed
/// assert!((s.as_vec()[0] - 1.0).abs() < 1e-5);
/// # Ok::<(), po::Error>(())
/// ```
pub fn ignore<R>(f: impl FnOnce() -> R) -> R {
    catch(f).0
}

/// Issues again, on this copy of the crate, warnings recorded by another (a metric made
/// in another notebook cell: see `metric::erased`).
pub(crate) fn reissue(messages: Vec<String>) {
    for m in messages {
        warn(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_warnings_nest_and_are_not_printed() {
        let (((), inner), outer) = catch(|| {
            warn("a");
            let r = catch(|| warn("b"));
            warn("a");
            r
        });
        assert_eq!(
            (inner, outer),
            (vec!["b".to_string()], vec!["a".into(), "a".into()])
        );
        assert!(!shown().lock().unwrap().contains("a"));
    }

    #[test]
    fn a_printed_warning_is_printed_once() {
        warn("printed once (test)");
        warn("printed once (test)");
        assert!(shown().lock().unwrap().contains("printed once (test)"));
        // a panic inside catch leaves no frame behind
        let r = std::panic::catch_unwind(|| catch(|| panic!("inside")));
        assert!(r.is_err());
        assert!(CAUGHT.with(|c| c.borrow().is_empty()));
    }
}
