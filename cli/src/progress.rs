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
}
