//! The editor's session-link row: the strip's display name, its session, and the link status
//! ("linked · slot 3 · 6 strips in session" or "Session link unavailable: …").

use crate::link::{LinkShared, LinkStatus};
use crate::params::StemStripParams;
use plugin_common::widgets::palette;
use session_link::Reader;
use std::time::{Duration, Instant};

/// How often the row re-reads the session to count strips.
const COUNT_PERIOD: Duration = Duration::from_millis(500);

/// Edit buffers and the session reader of the link row.
pub struct LinkRow {
    /// The display name being edited (committed on Enter or focus loss).
    name_edit: String,
    /// The session name being edited (committed on Enter or focus loss).
    session_edit: String,
    /// A reader of the joined session, for the strip count.
    reader: Option<Reader>,
    /// Live strips in the session and this strip's slot, as last counted.
    counted: (usize, Option<usize>),
    /// When the strips were last counted.
    last_count: Option<Instant>,
    /// A text field had keyboard focus last frame (its buffer is the user's, not the state's).
    editing: bool,
}

/// The persisted string behind `lock`, or empty.
fn read(lock: &std::sync::RwLock<String>) -> String {
    lock.read().map(|s| s.clone()).unwrap_or_default()
}

/// Stores `value` into the persisted string behind `lock`.
fn write(lock: &std::sync::RwLock<String>, value: &str) {
    if let Ok(mut s) = lock.write() {
        value.clone_into(&mut s);
    }
}

impl LinkRow {
    /// A row showing the persisted names of `params`.
    pub fn new(params: &StemStripParams) -> Self {
        Self {
            name_edit: read(&params.display_name),
            session_edit: read(&params.session_name),
            reader: None,
            counted: (0, None),
            last_count: None,
            editing: false,
        }
    }

    /// Draws the row and commits edits.
    pub fn show(&mut self, ui: &mut egui::Ui, params: &StemStripParams, link: &LinkShared) {
        link.collect_retired();
        self.follow_state(params, link);
        ui.horizontal(|ui| {
            ui.label("Name");
            let name = ui.add(
                egui::TextEdit::singleline(&mut self.name_edit)
                    .hint_text(link.effective_name(""))
                    .desired_width(150.0),
            );
            if name.lost_focus() && self.name_edit != read(&params.display_name) {
                write(&params.display_name, &self.name_edit);
                link.update_name(params);
            }
            ui.label("Session");
            let session =
                ui.add(egui::TextEdit::singleline(&mut self.session_edit).desired_width(110.0));
            if session.lost_focus() {
                let wanted = self.session_edit.trim().to_owned();
                let wanted = if wanted.is_empty() {
                    session_link::DEFAULT_SESSION.to_owned()
                } else {
                    wanted
                };
                if wanted != read(&params.session_name) {
                    write(&params.session_name, &wanted);
                    link.join_from_editor(&wanted);
                    self.reader = None;
                }
                self.session_edit = wanted;
            }
            self.editing = name.has_focus() || session.has_focus();
            self.status(ui, link);
        });
    }

    /// Picks up names changed by a state load while the editor is open (re-joins the session
    /// and republishes the name).
    fn follow_state(&mut self, params: &StemStripParams, link: &LinkShared) {
        if self.editing {
            return;
        }
        let session = read(&params.session_name);
        if let LinkStatus::Linked {
            session: joined, ..
        }
        | LinkStatus::Unavailable {
            session: joined, ..
        } = link.status()
        {
            if joined != session {
                link.join_from_editor(&session);
                self.session_edit = session;
                self.reader = None;
            }
        }
        let display_name = read(&params.display_name);
        if display_name != self.name_edit {
            self.name_edit = display_name;
            link.update_name(params);
        }
    }

    /// The status text.
    fn status(&mut self, ui: &mut egui::Ui, link: &LinkShared) {
        match link.status() {
            LinkStatus::NotStarted => {
                ui.weak("session link starts when the host activates the plugin");
            }
            LinkStatus::Unavailable { reason, .. } => {
                ui.colored_label(palette::WARN, format!("{reason} (working standalone)"));
            }
            LinkStatus::Linked { session, owner_id } => {
                self.count(&session, owner_id);
                let (strips, slot) = self.counted;
                let slot = slot.map_or("joining".to_owned(), |s| format!("slot {s}"));
                ui.weak(format!(
                    "linked · {slot} · {strips} strip{} in session",
                    if strips == 1 { "" } else { "s" }
                ));
            }
        }
    }

    /// Re-counts the session's strips every [`COUNT_PERIOD`].
    fn count(&mut self, session: &str, owner_id: u64) {
        if self.last_count.is_some_and(|t| t.elapsed() < COUNT_PERIOD) {
            return;
        }
        self.last_count = Some(Instant::now());
        if self.reader.as_ref().is_none_or(|r| r.session() != session) {
            self.reader = Reader::open(session).ok();
        }
        if let Some(reader) = &self.reader {
            let strips = reader.snapshot();
            let slot = strips
                .iter()
                .find(|s| s.owner_id == owner_id)
                .map(|s| s.slot_index);
            self.counted = (strips.len(), slot);
        }
    }
}
