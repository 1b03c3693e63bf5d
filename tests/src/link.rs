//! Session-link helpers for the tests: a session of its own per test, removed afterwards.

use session_link::segment_path;

/// A session name no other test (or test run) uses; its segment file is removed on drop.
pub struct TestSession(pub String);

impl TestSession {
    /// A session tagged `tag`, unique to this process.
    pub fn new(tag: &str) -> Self {
        Self(format!("harness-{tag}-{}", std::process::id()))
    }
}

impl Drop for TestSession {
    fn drop(&mut self) {
        if let Ok(path) = segment_path(&self.0) {
            let _ = std::fs::remove_file(path);
        }
    }
}
