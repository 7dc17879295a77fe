//! Progress for long work: bars on a terminal, one line per stage in logs (CI), nothing in tests.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Bars,
    Lines,
    Quiet,
}

/// Hands out one [`Stage`] per piece of long work.
#[derive(Clone, Debug)]
pub struct Progress {
    mode: Mode,
    prefix: String,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub fn auto(prefix: &str) -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Self {
            mode,
            prefix: prefix.into(),
        }
    }

    pub fn quiet() -> Self {
        Self {
            mode: Mode::Quiet,
            prefix: String::new(),
        }
    }

    /// Starts a stage of `total` steps.
    pub fn stage(&self, label: &str, total: u64) -> Stage {
        let bar = match self.mode {
            Mode::Bars => {
                let bar = ProgressBar::new(total);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:.bold} {msg} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_prefix(self.prefix.clone());
                bar.set_message(label.to_string());
                Some(bar)
            }
            Mode::Lines => {
                eprintln!("[{}] {label} ...", self.prefix);
                None
            }
            Mode::Quiet => None,
        };
        Stage {
            bar,
            mode: self.mode,
            label: label.into(),
            prefix: self.prefix.clone(),
            start: Instant::now(),
        }
    }
}

/// One stage of work; finishing (or dropping) it prints its duration in line mode.
pub struct Stage {
    bar: Option<ProgressBar>,
    mode: Mode,
    label: String,
    prefix: String,
    start: Instant,
}

impl Stage {
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode == Mode::Lines {
            eprintln!(
                "[{}] {} done in {:.1} s",
                self.prefix,
                self.label,
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}
