//! The Stem Strip's end of the session link (`session-link`): joining a session, publishing the
//! strip's state once per block from the audio thread, and the status the editor shows.
//!
//! Threads: `activate` (main thread) joins the persisted session. The editor (GUI thread) joins
//! another session by connecting a new [`Publisher`] itself and posting it to
//! [`LinkShared::incoming`]; the audio thread adopts it at the start of a block, releases the old
//! slot (atomic stores) and posts the old publisher to [`LinkShared::retired`], which the editor
//! or the next activation drops. The display name reaches the audio thread through a
//! triple buffer. So `process` never locks, allocates, frees or makes a system call (but reading
//! the clock).

use crate::params::StemStripParams;
use session_link::{
    EnergyBlock, LinkError, Mailbox, Publisher, StripName, StripState, DEFAULT_SESSION,
};
use std::sync::{Arc, Mutex, MutexGuard};

/// The display name when neither the user nor the host named the strip.
pub const FALLBACK_NAME: &str = "Stem Strip";

/// Where the strip stands with its session (for the editor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    /// Not activated yet: no session joined.
    NotStarted,
    /// Publishing into `session` as `owner_id`.
    Linked {
        /// The session name.
        session: String,
        /// The publisher's owner id (to find itself in a snapshot).
        owner_id: u64,
    },
    /// The link is unavailable; the strip works standalone.
    Unavailable {
        /// The session it tried to join.
        session: String,
        /// Why ("Session link unavailable: …").
        reason: String,
    },
}

/// The link state shared by the plugin, its audio thread and its editor.
pub struct LinkShared {
    /// A publisher the editor connected, waiting for the audio thread.
    pub incoming: Mailbox<Publisher>,
    /// The publisher the audio thread replaced, waiting to be dropped off the audio thread.
    pub retired: Mailbox<Publisher>,
    /// Writer end of the display name (non-realtime writers take the lock).
    name_input: Mutex<triple_buffer::Input<StripName>>,
    /// The host's name for the track, if it told us (CLAP track-info, VST3 channel context).
    host_track_name: Mutex<String>,
    /// The current status.
    status: Mutex<LinkStatus>,
}

/// Locks `mutex`, ignoring poisoning (the data stay usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl LinkShared {
    /// The shared state and the audio thread's end.
    pub fn new() -> (Arc<Self>, LinkAudio) {
        let (input, output) = triple_buffer::triple_buffer(&StripName::new(FALLBACK_NAME));
        let shared = Arc::new(Self {
            incoming: Mailbox::default(),
            retired: Mailbox::default(),
            name_input: Mutex::new(input),
            host_track_name: Mutex::new(String::new()),
            status: Mutex::new(LinkStatus::NotStarted),
        });
        let audio = LinkAudio {
            shared: shared.clone(),
            publisher: None,
            name: output,
        };
        (shared, audio)
    }

    /// The current status.
    pub fn status(&self) -> LinkStatus {
        lock(&self.status).clone()
    }

    /// The name the strip publishes: the user's `display_name`, else the host's track name,
    /// else [`FALLBACK_NAME`].
    pub fn effective_name(&self, display_name: &str) -> String {
        let display_name = display_name.trim();
        if !display_name.is_empty() {
            return display_name.to_owned();
        }
        let host = lock(&self.host_track_name);
        if host.trim().is_empty() {
            FALLBACK_NAME.to_owned()
        } else {
            host.trim().to_owned()
        }
    }

    /// Publishes the effective name for the persisted display name of `params` (not on the
    /// audio thread).
    pub fn update_name(&self, params: &StemStripParams) {
        let display_name = params
            .display_name
            .read()
            .map(|n| n.clone())
            .unwrap_or_default();
        let name = StripName::new(&self.effective_name(&display_name));
        lock(&self.name_input).write(name);
    }

    /// Records the host's track name (main thread, from the editor's track-info callback).
    pub fn set_host_track_name(&self, name: &str, params: &StemStripParams) {
        *lock(&self.host_track_name) = name.to_owned();
        self.update_name(params);
    }

    /// Joins `session` from the editor: connects a publisher here (GUI thread) and hands it to
    /// the audio thread. Drops whatever the audio thread retired.
    pub fn join_from_editor(&self, session: &str) {
        self.collect_retired();
        let result = Publisher::connect(session);
        self.set_status(session, &result);
        if let Ok(publisher) = result {
            drop(self.incoming.post(Box::new(publisher)));
        }
    }

    /// Drops a publisher the audio thread retired (not on the audio thread).
    pub fn collect_retired(&self) {
        drop(self.retired.take());
    }

    /// Records the outcome of joining `session`.
    fn set_status(&self, session: &str, result: &Result<Publisher, LinkError>) {
        *lock(&self.status) = match result {
            Ok(publisher) => LinkStatus::Linked {
                session: session.to_owned(),
                owner_id: publisher.owner_id(),
            },
            Err(e) => LinkStatus::Unavailable {
                session: session.to_owned(),
                reason: e.to_string(),
            },
        };
    }
}

/// The audio thread's end of the link (owned by the plugin).
pub struct LinkAudio {
    /// Shared with the editor.
    shared: Arc<LinkShared>,
    /// The publisher in use (boxed so handing it over never allocates).
    publisher: Option<Box<Publisher>>,
    /// Reader end of the display name.
    name: triple_buffer::Output<StripName>,
}

impl LinkAudio {
    /// Joins the persisted session unless already there (main thread, from `activate`).
    pub fn activate(&mut self, params: &StemStripParams) {
        let session = params
            .session_name
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|_| DEFAULT_SESSION.to_owned());
        self.shared.collect_retired();
        if let Some(incoming) = self.shared.incoming.take() {
            self.publisher = Some(incoming);
        }
        self.shared.update_name(params);
        if self
            .publisher
            .as_ref()
            .is_some_and(|p| p.session() == session)
        {
            return;
        }
        self.publisher = None;
        let result = Publisher::connect(&session);
        self.shared.set_status(&session, &result);
        self.publisher = result.ok().map(Box::new);
    }

    /// Publishes `state` (its name is replaced by the display name) and the completed energy
    /// blocks. Audio thread: wait-free, no locks, no allocation.
    pub fn publish(&mut self, mut state: StripState, completed: &[EnergyBlock]) {
        self.adopt_incoming();
        if let Some(publisher) = &mut self.publisher {
            state.name = *self.name.read();
            publisher.publish(&state, completed);
        }
    }

    /// Takes a publisher the editor connected, if the retired mailbox is free to take the old one.
    fn adopt_incoming(&mut self) {
        if !self.shared.retired.is_empty() {
            return;
        }
        let Some(incoming) = self.shared.incoming.take() else {
            return;
        };
        if let Some(mut old) = self.publisher.replace(incoming) {
            old.release();
            // Only this thread posts to `retired` and it was empty, so this cannot fail; were
            // it to, leaking beats freeing on the audio thread.
            if let Err(old) = self.shared.retired.post_if_empty(old) {
                Box::leak(old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_link::Reader;

    /// A session name no other test run uses.
    fn session(tag: &str) -> String {
        format!("strip-unit-{tag}-{}", std::process::id())
    }

    #[test]
    fn the_editor_moves_the_strip_to_another_session_through_the_audio_thread() {
        let (first, second) = (session("first"), session("second"));
        let params = StemStripParams::default();
        *params.session_name.write().unwrap() = first.clone();
        *params.display_name.write().unwrap() = "Drum bus".to_owned();
        let (shared, mut audio) = LinkShared::new();
        audio.activate(&params);
        audio.publish(StripState::default(), &[]);
        let in_first = Reader::open(&first).unwrap();
        let seen = in_first.snapshot();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].state.name.as_str(), "Drum bus");

        shared.join_from_editor(&second);
        assert!(matches!(shared.status(), LinkStatus::Linked { session, .. } if session == second));
        audio.publish(StripState::default(), &[]);
        assert!(
            in_first.snapshot().is_empty(),
            "the old slot is released at once"
        );
        assert_eq!(Reader::open(&second).unwrap().snapshot().len(), 1);
        assert!(!shared.retired.is_empty());
        shared.collect_retired();
        assert!(shared.retired.is_empty());
        for name in [first, second] {
            let _ = std::fs::remove_file(session_link::segment_path(&name).unwrap());
        }
    }

    #[test]
    fn the_name_falls_back_from_user_to_host_track_to_default() {
        let (shared, _audio) = LinkShared::new();
        let params = StemStripParams::default();
        assert_eq!(shared.effective_name(""), FALLBACK_NAME);
        shared.set_host_track_name("Bass", &params);
        assert_eq!(shared.effective_name(" "), "Bass");
        assert_eq!(shared.effective_name("Sub bass"), "Sub bass");
    }
}
