//! Pieces both Stemwise plugins share: the audio→GUI meter transport and egui widgets.

pub mod activation;
pub mod history;
pub mod identity;
pub mod meters;
pub mod param_kit;
pub mod presets;
pub mod widgets;
