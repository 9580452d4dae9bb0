//! The progress display of long syntheses: one line on stdout, redrawn in place with a
//! carriage return at most a few times per second (Jupyter and terminals both overwrite
//! the line), ended by a final summary line. Nothing goes to stderr.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static SHOW: AtomicBool = AtomicBool::new(true);

/// Turns the progress line of every synthesis on or off (on by default). Each synthesis
/// can also be silenced on its own (`.progress(false)` on its builder).
///
/// ```
/// plenoptic::synthesize::show_progress(false);
/// assert!(!plenoptic::synthesize::progress_shown());
/// plenoptic::synthesize::show_progress(true);
/// ```
pub fn show_progress(on: bool) {
    SHOW.store(on, Ordering::Relaxed);
}

/// Whether progress lines are shown (see [`show_progress`]).
pub fn progress_shown() -> bool {
    SHOW.load(Ordering::Relaxed)
}

/// Minimum time between two redraws.
const REDRAW: Duration = Duration::from_millis(250);

/// One progress line.
pub(crate) struct Progress {
    label: String,
    enabled: bool,
    start: Instant,
    last: Instant,
    width: usize,
}

impl Progress {
    /// A progress line headed by `label`; `enabled` combines the caller's option with the
    /// global switch.
    pub fn new(label: impl Into<String>, enabled: bool) -> Self {
        let now = Instant::now();
        Progress {
            label: label.into(),
            enabled: enabled && progress_shown(),
            start: now,
            last: now,
            width: 0,
        }
    }

    /// Redraws the line if enough time has passed since the last redraw. `done` counts
    /// the iterations of this run so far (for the rate); `status` is called only when the
    /// line is drawn.
    pub fn tick(&mut self, done: usize, status: impl FnOnce() -> String) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) < REDRAW {
            return;
        }
        self.last = now;
        let line = self.line(done, &status());
        self.draw(&line, false);
    }

    /// Draws the final state and ends the line.
    pub fn finish(&mut self, done: usize, status: &str) {
        if !self.enabled {
            return;
        }
        let line = self.line(done, status);
        self.draw(&line, true);
        self.enabled = false;
    }

    fn line(&self, done: usize, status: &str) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        format!("{} {status} [{secs:.1} s, {rate:.1} it/s]", self.label)
    }

    fn draw(&mut self, line: &str, end: bool) {
        let len = line.chars().count();
        let pad = self.width.saturating_sub(len);
        self.width = self.width.max(len);
        let mut out = std::io::stdout().lock();
        // Errors writing to stdout (a closed pipe) must not stop a synthesis.
        let _ = write!(out, "\r{line}{}", " ".repeat(pad));
        if end {
            let _ = writeln!(out);
        }
        let _ = out.flush();
    }
}
