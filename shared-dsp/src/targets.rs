//! Delivery targets: the loudness and true-peak figures that streaming platforms normalise to
//! and that broadcast specifications require, and the gain each applies to a given master.
//!
//! Sources (as published by the platforms and standards bodies; platforms change them, so the
//! table is data, not logic): Spotify for Artists "Loudness normalization" (−14 LUFS, −1 dBTP;
//! positive gain only up to the peak headroom), Apple "Mastered for iTunes/Apple Digital
//! Masters" (Sound Check, −16 LUFS), Tidal and YouTube (−14 LUFS, turn loud masters down
//! only), Amazon Music (−14 LUFS, −2 dBTP), Deezer (−15 LUFS), AES TD1008 (−16 LUFS for
//! music streaming), EBU R128 (−23 LUFS, −1 dBTP), ATSC A/85 (−24 LKFS, −2 dBTP), Netflix
//! sound mix specifications (−27 LKFS dialogue-gated, −2 dBTP).

/// How a target treats a master that is not at its loudness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalization {
    /// Playback turns loud masters down and quiet ones up, but only as far as the true-peak
    /// headroom to the target's ceiling allows (Spotify's default mode, Apple Sound Check).
    UpToPeakHeadroom,
    /// Playback turns loud masters down and leaves quiet ones alone.
    DownOnly,
    /// A delivery specification: the master must itself be at the target (the gain is what
    /// the engineer has to apply).
    Delivery,
}

/// One delivery target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryTarget {
    /// Stable identifier (`spotify`, `ebu-r128`, …) used in session files and the CLI.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Target integrated loudness, LUFS.
    pub integrated_lufs: f32,
    /// Highest allowed (or recommended) true peak, dBTP.
    pub true_peak_dbtp: f32,
    /// How the target treats a master at another loudness.
    pub normalization: Normalization,
    /// Loudness is measured on dialogue only (dialogue-gated), not on the whole programme.
    pub dialogue_gated: bool,
}

/// Every built-in target, streaming first, then broadcast and film.
pub const TARGETS: [DeliveryTarget; 10] = [
    streaming(
        "spotify",
        "Spotify",
        -14.0,
        -1.0,
        Normalization::UpToPeakHeadroom,
    ),
    streaming(
        "apple-music",
        "Apple Music",
        -16.0,
        -1.0,
        Normalization::UpToPeakHeadroom,
    ),
    streaming("tidal", "Tidal", -14.0, -1.0, Normalization::DownOnly),
    streaming("youtube", "YouTube", -14.0, -1.0, Normalization::DownOnly),
    streaming(
        "amazon-music",
        "Amazon Music",
        -14.0,
        -2.0,
        Normalization::UpToPeakHeadroom,
    ),
    streaming("deezer", "Deezer", -15.0, -1.0, Normalization::DownOnly),
    streaming(
        "aes-td1008",
        "AES TD1008 (music)",
        -16.0,
        -1.0,
        Normalization::Delivery,
    ),
    streaming("ebu-r128", "EBU R128", -23.0, -1.0, Normalization::Delivery),
    streaming(
        "atsc-a85",
        "ATSC A/85",
        -24.0,
        -2.0,
        Normalization::Delivery,
    ),
    DeliveryTarget {
        id: "netflix",
        name: "Netflix (dialogue)",
        integrated_lufs: -27.0,
        true_peak_dbtp: -2.0,
        normalization: Normalization::Delivery,
        dialogue_gated: true,
    },
];

/// A programme-gated target (every entry but Netflix's).
const fn streaming(
    id: &'static str,
    name: &'static str,
    integrated_lufs: f32,
    true_peak_dbtp: f32,
    normalization: Normalization,
) -> DeliveryTarget {
    DeliveryTarget {
        id,
        name,
        integrated_lufs,
        true_peak_dbtp,
        normalization,
        dialogue_gated: false,
    }
}

/// The built-in target with identifier `id`.
pub fn target_by_id(id: &str) -> Option<&'static DeliveryTarget> {
    TARGETS.iter().find(|t| t.id == id)
}

impl DeliveryTarget {
    /// A custom target (for the "custom" choice of the plugins and session files).
    pub fn custom(integrated_lufs: f32, true_peak_dbtp: f32) -> Self {
        Self {
            id: "custom",
            name: "Custom",
            integrated_lufs,
            true_peak_dbtp,
            normalization: Normalization::Delivery,
            dialogue_gated: false,
        }
    }

    /// Integrated loudness minus the target, LU (positive = louder than the target).
    pub fn distance_lu(&self, integrated_lufs: f32) -> f32 {
        integrated_lufs - self.integrated_lufs
    }

    /// The gain in dB this target applies to (or, for a delivery specification, requires of)
    /// a master with `integrated_lufs` and `true_peak_dbtp`; 0 for an undefined loudness.
    pub fn normalization_gain_db(&self, integrated_lufs: f32, true_peak_dbtp: f32) -> f32 {
        if !integrated_lufs.is_finite() {
            return 0.0;
        }
        let to_target_db = self.integrated_lufs - integrated_lufs;
        match self.normalization {
            Normalization::Delivery => to_target_db,
            _ if to_target_db <= 0.0 => to_target_db,
            Normalization::DownOnly => 0.0,
            Normalization::UpToPeakHeadroom => {
                let headroom_db = (self.true_peak_dbtp - true_peak_dbtp).max(0.0);
                to_target_db.min(headroom_db)
            }
        }
    }

    /// True when `true_peak_dbtp` is at or below this target's ceiling.
    pub fn true_peak_ok(&self, true_peak_dbtp: f32) -> bool {
        true_peak_dbtp <= self.true_peak_dbtp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_follow_each_policy() {
        let spotify = target_by_id("spotify").unwrap();
        assert_eq!(spotify.normalization_gain_db(-9.0, -0.5), -5.0);
        // Quiet master with 3 dB of peak headroom to −1 dBTP: raised by 3 dB, not 6.
        assert_eq!(spotify.normalization_gain_db(-20.0, -4.0), 3.0);
        let youtube = target_by_id("youtube").unwrap();
        assert_eq!(youtube.normalization_gain_db(-20.0, -10.0), 0.0);
        assert_eq!(youtube.normalization_gain_db(-10.0, -1.0), -4.0);
        let ebu = target_by_id("ebu-r128").unwrap();
        assert_eq!(ebu.normalization_gain_db(-30.0, -10.0), 7.0);
        assert_eq!(ebu.distance_lu(-22.5), 0.5);
        assert_eq!(ebu.normalization_gain_db(f32::NEG_INFINITY, -10.0), 0.0);
        assert!(ebu.true_peak_ok(-1.0) && !ebu.true_peak_ok(-0.99));
    }

    #[test]
    fn identifiers_are_unique() {
        for (i, a) in TARGETS.iter().enumerate() {
            assert!(TARGETS[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
    }
}
