//! User presets: named snapshots of every parameter (except bypass), kept in the plugin's
//! state (a persisted field), so they travel with the host project and are recalled with it.

use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{ParamFlags, ParamPtr, Params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::RwLock;

/// Key of the persisted preset bank (`#[persist = "presets"]`).
pub const PRESETS_FIELD: &str = "presets";
/// Most presets a bank keeps (the oldest is replaced beyond it).
pub const MAX_PRESETS: usize = 64;

/// One user preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPreset {
    /// Name the user gave it.
    pub name: String,
    /// Normalised value (0…1) of every parameter, by frozen parameter id.
    pub values: BTreeMap<String, f32>,
}

/// The persisted bank of user presets.
pub type PresetBank = RwLock<Vec<UserPreset>>;

/// The parameters a preset covers: all but the host bypass.
fn preset_params(params: &dyn Params) -> impl Iterator<Item = (String, ParamPtr)> {
    params
        .param_map()
        .into_iter()
        // SAFETY: the pointers come from `params`, which outlives this call.
        .filter(|(_, ptr, _)| !unsafe { ptr.flags() }.contains(ParamFlags::BYPASS))
        .map(|(id, ptr, _)| (id, ptr))
}

/// A snapshot of the current parameter values named `name` (GUI thread).
pub fn capture(name: &str, params: &dyn Params) -> UserPreset {
    let values = preset_params(params)
        // SAFETY: as above.
        .map(|(id, ptr)| (id, unsafe { ptr.unmodulated_normalized_value() }))
        .collect();
    UserPreset {
        name: name.to_owned(),
        values,
    }
}

/// Stores `preset` in `bank`, replacing one of the same name (or the oldest when full).
pub fn store(bank: &PresetBank, preset: UserPreset) {
    let Ok(mut presets) = bank.write() else {
        return;
    };
    if let Some(existing) = presets.iter_mut().find(|p| p.name == preset.name) {
        *existing = preset;
    } else {
        if presets.len() >= MAX_PRESETS {
            presets.remove(0);
        }
        presets.push(preset);
    }
}

/// Sets every parameter the preset knows, each as one host gesture (GUI thread). Parameters
/// added after the preset was saved keep their value; unknown ids are skipped.
pub fn apply(preset: &UserPreset, params: &dyn Params, context: &GuiContext) {
    for (id, ptr) in preset_params(params) {
        if let Some(&value) = preset.values.get(&id) {
            // SAFETY: `ptr` belongs to this plugin's params, as the GUI context requires.
            unsafe {
                context.raw_begin_set_parameter(ptr);
                context.raw_set_parameter_normalized(ptr, value.clamp(0.0, 1.0));
                context.raw_end_set_parameter(ptr);
            }
        }
    }
}

/// The preset menu: a name field with Save, and Load/Delete per stored preset.
pub fn preset_menu(
    ui: &mut egui::Ui,
    name: &mut String,
    bank: &PresetBank,
    params: &dyn Params,
    context: &GuiContext,
) {
    ui.menu_button("Presets", |ui| {
        ui.horizontal(|ui| {
            ui.text_edit_singleline(name);
            let valid = !name.trim().is_empty();
            if ui.add_enabled(valid, egui::Button::new("Save")).clicked() {
                store(bank, capture(name.trim(), params));
            }
        });
        ui.separator();
        let presets = bank.read().map(|p| p.clone()).unwrap_or_default();
        if presets.is_empty() {
            ui.weak("No user presets yet");
        }
        for preset in presets {
            ui.horizontal(|ui| {
                if ui.button(&preset.name).clicked() {
                    apply(&preset, params, context);
                    ui.close();
                }
                if ui.small_button("✕").clicked() {
                    if let Ok(mut presets) = bank.write() {
                        presets.retain(|p| p.name != preset.name);
                    }
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(name: &str) -> UserPreset {
        UserPreset {
            name: name.to_owned(),
            values: BTreeMap::from([("trim".to_owned(), 0.6)]),
        }
    }

    #[test]
    fn store_replaces_by_name_and_keeps_at_most_the_limit() {
        let bank = PresetBank::default();
        store(&bank, preset("a"));
        let mut changed = preset("a");
        changed.values.insert("trim".to_owned(), 0.2);
        store(&bank, changed.clone());
        assert_eq!(*bank.read().unwrap(), vec![changed]);
        for i in 0..MAX_PRESETS + 3 {
            store(&bank, preset(&format!("p{i}")));
        }
        let presets = bank.read().unwrap();
        assert_eq!(presets.len(), MAX_PRESETS);
        assert_eq!(
            presets.last().unwrap().name,
            format!("p{}", MAX_PRESETS + 2)
        );
    }

    #[test]
    fn presets_survive_json_as_the_state_stores_them() {
        let presets = vec![preset("Drums tight"), preset("Vocal air")];
        let json = serde_json::to_string(&presets).unwrap();
        let back: Vec<UserPreset> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, presets);
    }
}
