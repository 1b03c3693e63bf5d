//! Pieces both Stemwise plugins share: the audio→GUI meter transport and egui widgets.

pub mod meters;
pub mod widgets;
