//! The progress display of long syntheses, on stdout (nothing goes to stderr):
//!
//! - on a terminal, one line redrawn in place with a carriage return at most four times a
//!   second, ended by a final summary line;
//! - anywhere else (a Jupyter kernel such as evcxr, a pipe, a log file), a new line at most
//!   once a second, then the summary line. evcxr forwards a cell's output line by line, so a
//!   line redrawn with `\r` would show nothing until the synthesis ends; separate lines
//!   show while it runs.
//!
//! Every line carries the method's status (iteration, loss), the elapsed time and the
//! rate.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether progress lines show, one setting per process (shared by every notebook cell:
/// see `crate::shared`).
fn show() -> &'static AtomicBool {
    static SHOW: OnceLock<&'static AtomicBool> = OnceLock::new();
    crate::shared::shared(&SHOW, "show_progress", || AtomicBool::new(true))
}

/// Turns the progress line of every synthesis on or off (on by default). Each synthesis
/// can also be silenced on its own (`.progress(false)` on its builder).
///
/// ```
/// plenoptic::synthesize::show_progress(false);
/// assert!(!plenoptic::synthesize::progress_shown());
/// plenoptic::synthesize::show_progress(true);
/// ```
pub fn show_progress(on: bool) {
    show().store(on, Ordering::Relaxed);
}

/// Whether progress lines are shown (see [`show_progress`]).
pub fn progress_shown() -> bool {
    show().load(Ordering::Relaxed)
}

/// Minimum time between two redraws of the in-place line on a terminal.
const REDRAW: Duration = Duration::from_millis(250);
/// Minimum time between two printed lines when stdout is not a terminal.
const NEW_LINE: Duration = Duration::from_secs(1);

/// How progress is shown: where stdout goes decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One line redrawn in place with `\r` (a terminal).
    InPlace,
    /// A new line at most once a second (a notebook, a pipe, a file).
    Lines,
}

impl Mode {
    /// [`Mode::InPlace`] when stdout is a terminal, [`Mode::Lines`] otherwise.
    pub fn for_stdout() -> Self {
        if std::io::stdout().is_terminal() {
            Mode::InPlace
        } else {
            Mode::Lines
        }
    }

    fn interval(self) -> Duration {
        match self {
            Mode::InPlace => REDRAW,
            Mode::Lines => NEW_LINE,
        }
    }
}

/// One progress display.
pub(crate) struct Progress {
    label: String,
    enabled: bool,
    mode: Mode,
    start: Instant,
    last: Instant,
    width: usize,
    /// Where the text goes: stdout when `None`, this buffer otherwise (tests).
    captured: Option<Vec<u8>>,
}

impl Progress {
    /// A progress display headed by `label`, in the mode stdout calls for; `enabled`
    /// combines the caller's option with the global switch.
    pub fn new(label: impl Into<String>, enabled: bool) -> Self {
        Self::with_mode(label, enabled, Mode::for_stdout())
    }

    fn with_mode(label: impl Into<String>, enabled: bool, mode: Mode) -> Self {
        let now = Instant::now();
        Progress {
            label: label.into(),
            enabled: enabled && progress_shown(),
            mode,
            start: now,
            last: now,
            width: 0,
            captured: None,
        }
    }

    /// Shows the state if enough time has passed since the last time it was shown. `done`
    /// counts the iterations of this run so far (for the rate); `status` is called only
    /// when something is shown.
    pub fn tick(&mut self, done: usize, status: impl FnOnce() -> String) {
        self.tick_at(Instant::now(), done, status);
    }

    fn tick_at(&mut self, now: Instant, done: usize, status: impl FnOnce() -> String) {
        if !self.enabled || now.duration_since(self.last) < self.mode.interval() {
            return;
        }
        self.last = now;
        let line = self.line(now, done, &status());
        self.draw(&line, false);
    }

    /// Shows the final state and ends the line.
    pub fn finish(&mut self, done: usize, status: &str) {
        if !self.enabled {
            return;
        }
        let line = self.line(Instant::now(), done, status);
        self.draw(&line, true);
        self.enabled = false;
    }

    fn line(&self, now: Instant, done: usize, status: &str) -> String {
        let secs = now.duration_since(self.start).as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        format!("{} {status} [{secs:.1} s, {rate:.1} it/s]", self.label)
    }

    fn draw(&mut self, line: &str, end: bool) {
        let text = match self.mode {
            Mode::InPlace => {
                let len = line.chars().count();
                let pad = self.width.saturating_sub(len);
                self.width = self.width.max(len);
                format!("\r{line}{}{}", " ".repeat(pad), if end { "\n" } else { "" })
            }
            Mode::Lines => format!("{line}\n"),
        };
        match &mut self.captured {
            Some(buf) => buf.extend_from_slice(text.as_bytes()),
            None => {
                let mut out = std::io::stdout().lock();
                // Errors writing to stdout (a closed pipe) must not stop a synthesis.
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(mode: Mode) -> Progress {
        let mut p = Progress::with_mode("Metamer", true, mode);
        p.enabled = true; // whatever another test did to the global switch
        p.captured = Some(Vec::new());
        p
    }

    fn text(p: &Progress) -> String {
        String::from_utf8(p.captured.clone().unwrap()).unwrap()
    }

    #[test]
    fn off_a_terminal_prints_a_new_line_at_most_once_a_second() {
        let mut p = captured(Mode::Lines);
        let t0 = p.start;
        // 3.5 s of iterations, one every 10 ms
        for i in 1..=350u64 {
            let now = t0 + Duration::from_millis(10 * i);
            p.tick_at(now, i as usize, || {
                format!("iteration {i} of 350 | loss 1.0e-3")
            });
        }
        p.finish(350, "iteration 350 | loss 1.0e-3");
        let out = text(&p);
        assert!(!out.contains('\r'), "{out:?}");
        let lines: Vec<&str> = out.lines().collect();
        // at 1.0, 2.0 and 3.0 s, then the summary
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!(
            lines[0],
            "Metamer iteration 100 of 350 | loss 1.0e-3 [1.0 s, 100.0 it/s]"
        );
        assert_eq!(
            lines[1],
            "Metamer iteration 200 of 350 | loss 1.0e-3 [2.0 s, 100.0 it/s]"
        );
        assert_eq!(
            lines[2],
            "Metamer iteration 300 of 350 | loss 1.0e-3 [3.0 s, 100.0 it/s]"
        );
        assert!(
            lines[3].starts_with("Metamer iteration 350 | loss 1.0e-3 ["),
            "{}",
            lines[3]
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn on_a_terminal_redraws_one_line_in_place() {
        let mut p = captured(Mode::InPlace);
        let t0 = p.start;
        for i in 1..=100u64 {
            let now = t0 + Duration::from_millis(10 * i);
            p.tick_at(now, i as usize, || format!("iteration {i}"));
        }
        p.finish(100, "done");
        let out = text(&p);
        // redraws at 250, 500, 750 and 1000 ms, then the summary: one line in all
        assert_eq!(out.matches('\r').count(), 5, "{out:?}");
        assert_eq!(out.matches('\n').count(), 1, "{out:?}");
        assert!(out.starts_with("\rMetamer iteration 25 [0."), "{out:?}");
        // the shorter summary blanks out the end of the longer line before it
        let last = out.rsplit('\r').next().unwrap();
        assert!(last.starts_with("Metamer done ["), "{last:?}");
        let longest = "Metamer iteration 100 [1.0 s, 100.0 it/s]".len();
        assert!(
            last.trim_end_matches('\n').chars().count() >= longest,
            "{last:?}"
        );
    }

    #[test]
    fn a_disabled_display_prints_nothing() {
        let mut p = captured(Mode::Lines);
        p.enabled = false;
        p.tick_at(p.start + Duration::from_secs(5), 1, || "x".into());
        p.finish(1, "x");
        assert_eq!(text(&p), "");
    }
}
