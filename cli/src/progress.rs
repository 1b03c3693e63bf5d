//! Progress bars (`indicatif`) on standard error for the long steps, or none at all with
//! `--quiet` / `--json`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Hands out progress bars, all hidden when the user asked for quiet output.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Bars are drawn.
    visible: bool,
}

impl Progress {
    /// Visible bars (`true`) or hidden ones.
    pub fn new(visible: bool) -> Self {
        Self { visible }
    }

    /// A bar of `len` steps labelled `message`, finished by the caller.
    pub fn bar(&self, len: u64, message: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:<34} [{bar:30}] {percent:>3}% {eta:>4}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(message.to_owned());
        bar
    }

    /// A spinner labelled `message` with the elapsed time, for a step whose length is not
    /// known in advance; ticks on its own until the caller finishes it.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:<34} {spinner} {elapsed:>4}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        spinner.set_style(style);
        spinner.set_message(message.to_owned());
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        spinner
    }
}
