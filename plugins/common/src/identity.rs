//! Which plugin a saved state belongs to.
//!
//! nice-plug accepts any well-formed state blob, so a state saved by one Stemwise plugin would
//! be half-applied to the other through the parameter IDs they share (`bypass`). Each plugin
//! persists its CLAP id in the field [`IDENTITY_FIELD`], and its `filter_state` calls
//! [`drop_foreign_state`], which empties a state that names another plugin: loading it then
//! leaves every parameter as it was.

use nice_plug::prelude::PluginState;
use std::sync::RwLock;

/// Key of the persisted identity field (`#[persist = "plugin"]` on both plugins' params).
pub const IDENTITY_FIELD: &str = "plugin";

/// The persisted identity of a plugin: its CLAP id.
pub fn identity(clap_id: &str) -> RwLock<String> {
    RwLock::new(clap_id.to_owned())
}

/// Empties `state` (parameters and fields) when its identity field names a plugin other than
/// `own_clap_id`. A state without the field is left alone.
pub fn drop_foreign_state(state: &mut PluginState, own_clap_id: &str) {
    let Some(json) = state.fields.get(IDENTITY_FIELD) else {
        return;
    };
    let owner: Option<String> = serde_json::from_str(json).ok();
    if owner.as_deref() != Some(own_clap_id) {
        nice_plug::nice_warn!(
            "ignoring a state saved by {} (this is {own_clap_id})",
            owner.as_deref().unwrap_or("an unknown plugin")
        );
        state.params.clear();
        state.fields.clear();
    }
}
