//! The choice lists of choice parameters: for each concept (role, slope, phase, detector,
//! compressor mode, ceiling preset, delivery target) the shared-dsp value of every choice with
//! its frozen id and display name. Plugins (as host enums), the CLI (as session values) and
//! the GUI (as combo boxes) all read these lists.

use crate::compressor::Detector;
use crate::eq::settings::{PhaseMode, Slope};
use crate::master::{CEILING_BROADCAST_DBTP, CEILING_STREAMING_DBTP, CEILING_VINYL_DBTP};
use crate::roles::Role;
use crate::strip::CompressorMode;

/// A choice list: values with their ids and names, index for index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choices<T: 'static> {
    /// The value of each choice, in host order.
    pub values: &'static [T],
    /// Frozen id of each choice (saved states and session files store these).
    pub ids: &'static [&'static str],
    /// Display name of each choice.
    pub names: &'static [&'static str],
}

/// A type naming one choice list (the plugins turn it into a host enum).
pub trait ChoiceList: Copy + Send + Sync + 'static {
    /// What a choice stands for.
    type Value: Copy + PartialEq + Send + Sync + std::fmt::Debug + 'static;
    /// The list.
    const CHOICES: Choices<Self::Value>;

    /// Index of `value` in the list (0 when it is not in it).
    fn index_of(value: Self::Value) -> usize {
        Self::CHOICES
            .values
            .iter()
            .position(|&v| v == value)
            .unwrap_or(0)
    }

    /// The value whose id is `id`.
    fn from_id(id: &str) -> Option<Self::Value> {
        let index = Self::CHOICES.ids.iter().position(|&i| i == id)?;
        Some(Self::CHOICES.values[index])
    }
}

/// Declares a [`ChoiceList`]: `value => "id", "Name";` per choice, in host order.
macro_rules! choices {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $ty:ty { $($value:expr => $id:literal, $label:literal;)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl ChoiceList for $name {
            type Value = $ty;
            const CHOICES: Choices<$ty> = Choices {
                values: &[$($value),*],
                ids: &[$($id),*],
                names: &[$($label),*],
            };
        }
    };
}

choices! {
    /// The stem roles, in selector order (the Stem Strip's `role`, a session's `role`).
    pub struct Roles: Role {
        Role::Drums => "drums", "Drums";
        Role::Bass => "bass", "Bass";
        Role::Keys => "keys", "Keys / Instruments";
        Role::Vocals => "vocals", "Vocals";
        Role::Sub => "sub", "Sub";
        Role::Fx => "fx", "FX / Ambience";
        Role::Dialogue => "dialogue", "Dialogue";
        Role::Music => "music", "Music";
        Role::Effects => "effects", "Effects";
        Role::Other => "other", "Other";
    }
}

choices! {
    /// The Stem Strip's high-pass slopes.
    pub struct StripSlopes: Slope {
        Slope::Db12 => "12", "12 dB/oct";
        Slope::Db24 => "24", "24 dB/oct";
    }
}

choices! {
    /// The Master Bus's high- and low-pass slopes and its mono bass slopes.
    pub struct BusSlopes: Slope {
        Slope::Db12 => "12", "12 dB/oct";
        Slope::Db24 => "24", "24 dB/oct";
        Slope::Db48 => "48", "48 dB/oct";
    }
}

choices! {
    /// EQ phase modes (both plugins).
    pub struct PhaseModes: PhaseMode {
        PhaseMode::Minimum => "min", "Minimum phase";
        PhaseMode::Linear => "lin", "Linear phase";
    }
}

choices! {
    /// Compressor detectors.
    pub struct Detectors: Detector {
        Detector::Peak => "peak", "Peak";
        Detector::Rms => "rms", "RMS";
    }
}

choices! {
    /// The Stem Strip's compressor modes.
    pub struct CompressorModes: CompressorMode {
        CompressorMode::Single => "single", "Single band";
        CompressorMode::Multiband => "multi", "3-band";
    }
}

/// A limiter ceiling preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CeilingPreset {
    /// [`CEILING_STREAMING_DBTP`].
    #[default]
    Streaming,
    /// [`CEILING_VINYL_DBTP`].
    Vinyl,
    /// [`CEILING_BROADCAST_DBTP`].
    Broadcast,
    /// The custom ceiling parameter.
    Custom,
}

impl CeilingPreset {
    /// The preset's ceiling in dBTP, or `custom_dbtp` for [`CeilingPreset::Custom`].
    pub fn ceiling_dbtp(self, custom_dbtp: f32) -> f32 {
        match self {
            Self::Streaming => CEILING_STREAMING_DBTP,
            Self::Vinyl => CEILING_VINYL_DBTP,
            Self::Broadcast => CEILING_BROADCAST_DBTP,
            Self::Custom => custom_dbtp,
        }
    }
}

choices! {
    /// The Master Bus's limiter ceiling presets.
    pub struct CeilingPresets: CeilingPreset {
        CeilingPreset::Streaming => "streaming", "Streaming −1.0 dBTP";
        CeilingPreset::Vinyl => "vinyl", "Vinyl −0.5 dBTP";
        CeilingPreset::Broadcast => "broadcast", "Broadcast −2.0 dBTP";
        CeilingPreset::Custom => "custom", "Custom";
    }
}

choices! {
    /// The delivery targets the Master Bus's meter compares against, by
    /// [`crate::targets`] id (`"custom"`: the two custom-target parameters).
    pub struct Targets: &'static str {
        "spotify" => "spotify", "Spotify";
        "apple-music" => "apple-music", "Apple Music";
        "tidal" => "tidal", "Tidal";
        "youtube" => "youtube", "YouTube";
        "amazon-music" => "amazon-music", "Amazon Music";
        "deezer" => "deezer", "Deezer";
        "aes-td1008" => "aes-td1008", "AES TD1008";
        "ebu-r128" => "ebu-r128", "EBU R128";
        "atsc-a85" => "atsc-a85", "ATSC A/85";
        "netflix" => "netflix", "Netflix";
        "custom" => "custom", "Custom";
    }
}
