//! Pieces both Stemwise plugins share: the audio→GUI meter transport and egui widgets.

pub mod identity;
pub mod meters;
pub mod presets;
pub mod widgets;
