//! What travels per strip, and its encoding into the payload bytes of [`crate::layout`].

use crate::layout::{payload as at, ENERGY_BLOCK_BYTES, ENERGY_RING_LEN};
use shared_dsp::roles::{Role, ROLES};

/// Bytes of a display name.
pub const NAME_BYTES: usize = 64;

/// A display name of at most [`NAME_BYTES`] bytes of UTF-8, stored inline (`Copy`, no heap).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StripName {
    /// The UTF-8 bytes, NUL padded.
    bytes: [u8; NAME_BYTES],
    /// Bytes in use.
    len: u8,
}

impl StripName {
    /// `name`, cut at the last character boundary within [`NAME_BYTES`] bytes.
    pub fn new(name: &str) -> Self {
        let mut len = name.len().min(NAME_BYTES);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; NAME_BYTES];
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        Self {
            bytes,
            len: len as u8,
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        // `new` and `decode` only ever store valid UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// From published bytes: the longest valid UTF-8 prefix of `bytes[..len]`.
    fn decode(bytes: &[u8], len: u8) -> Self {
        let raw = &bytes[..usize::from(len).min(NAME_BYTES)];
        let valid = match std::str::from_utf8(raw) {
            Ok(s) => s,
            // SAFETY-free: `valid_up_to` is a char boundary of valid UTF-8.
            Err(e) => std::str::from_utf8(&raw[..e.valid_up_to()]).unwrap_or(""),
        };
        Self::new(valid)
    }
}

impl Default for StripName {
    fn default() -> Self {
        Self::new("")
    }
}

impl std::fmt::Debug for StripName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Defines a `u32` bit-set newtype with named flags.
macro_rules! bits {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $bit:expr,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct $name(pub u32);

        impl $name {
            $($(#[$fdoc])* pub const $flag: Self = Self(1 << $bit);)*
            /// No flag set.
            pub const NONE: Self = Self(0);

            /// True if every flag of `other` is set.
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// `self` with `other` set when `on`.
            #[must_use]
            pub fn with(self, other: Self, on: bool) -> Self {
                if on { Self(self.0 | other.0) } else { self }
            }

            /// True if no flag is set.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }
        }
    };
}

bits!(
    /// Which processing stages of a strip are on.
    Stages {
        /// The high-pass filter.
        HIGH_PASS = 0,
        /// Any EQ band away from 0 dB.
        EQ = 1,
        /// The EQ runs linear phase (adds latency).
        LINEAR_PHASE = 2,
        /// The compressor.
        COMPRESSOR = 3,
        /// The compressor runs 3-band.
        MULTIBAND = 4,
        /// The parallel saturation.
        SATURATION = 5,
    }
);

bits!(
    /// The strip's guardrail warnings.
    Warnings {
        /// Trim beyond ±3 dB.
        TRIM = 0,
        /// A compressor ratio above 3:1 (compressor on).
        RATIO = 1,
        /// EQ beyond the gentle range (bells ±3 dB, shelves ±2 dB).
        EQ = 2,
        /// A channel's polarity is inverted.
        POLARITY = 3,
    }
);

/// The scalars a strip publishes every block (everything but the energy blocks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripState {
    /// Display name (the user's, else the host's track name).
    pub name: StripName,
    /// What the stem carries.
    pub role: Role,
    /// Audio channels (1 or 2).
    pub num_channels: u8,
    /// Input trim, dB.
    pub trim_db: f32,
    /// Output gain, dB.
    pub output_db: f32,
    /// Polarity inverted, left (or mono) and right.
    pub invert: [bool; 2],
    /// Host bypass engaged.
    pub bypassed: bool,
    /// Stages that are on.
    pub stages: Stages,
    /// Compressor gain reduction, dB (positive; the largest band in 3-band mode).
    pub reduction_db: f32,
    /// Output sample peak of the last block, dBFS (`-inf` for silence).
    pub peak_dbfs: f32,
    /// Output momentary loudness (400 ms), LUFS (`-inf` when undefined).
    pub momentary_lufs: f32,
    /// Output short-term loudness (3 s), LUFS (`-inf` when undefined).
    pub short_term_lufs: f32,
    /// Guardrail warnings tripped.
    pub warnings: Warnings,
    /// Reported latency, samples.
    pub latency_samples: u32,
    /// Sample rate, Hz (0 before activation).
    pub sample_rate_hz: f32,
}

impl Default for StripState {
    fn default() -> Self {
        Self {
            name: StripName::default(),
            role: Role::Other,
            num_channels: 2,
            trim_db: 0.0,
            output_db: 0.0,
            invert: [false; 2],
            bypassed: false,
            stages: Stages::NONE,
            reduction_db: 0.0,
            peak_dbfs: f32::NEG_INFINITY,
            momentary_lufs: f32::NEG_INFINITY,
            short_term_lufs: f32::NEG_INFINITY,
            warnings: Warnings::NONE,
            latency_samples: 0,
            sample_rate_hz: 0.0,
        }
    }
}

/// One block of (about) 100 ms of a strip's output, for loudness-contribution estimates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EnergyBlock {
    /// Running number of the block within its strip (assigned when published).
    pub sequence: u64,
    /// Position of the block's first frame: the host transport position in samples when
    /// [`EnergyBlock::TRANSPORT`] is set, else the strip's own running frame count.
    pub start_samples: i64,
    /// Frames in the block (a full block is `(round(fs) + 5) / 10`; shorter when the transport
    /// jumped or started/stopped).
    pub num_frames: u32,
    /// [`EnergyBlock::TRANSPORT`] and [`EnergyBlock::PLAYING`].
    pub flags: u32,
    /// Sample peak of the block, dBFS.
    pub peak_dbfs: f32,
    /// Mean square of the K-weighted signal, summed over channels (ITU-R BS.1770 weights 1.0
    /// for L/R): `-0.691 + 10·log10(energy)` is the block's loudness in LUFS.
    pub energy: f64,
}

impl EnergyBlock {
    /// `start_samples` is the host transport position (blocks then sit on the transport's
    /// 100 ms grid, so strips in different processes line up).
    pub const TRANSPORT: u32 = 1;
    /// The host transport was playing.
    pub const PLAYING: u32 = 2;
}

/// Little-endian field access on the payload bytes.
fn put<const N: usize>(bytes: &mut [u8], at: usize, value: [u8; N]) {
    bytes[at..at + N].copy_from_slice(&value);
}

/// `N` bytes at `at`.
fn get<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes[at..at + N].try_into().expect("in bounds")
}

/// Writes the scalars of `state` (and the owner id, time and block count) into `bytes`.
pub(crate) fn encode_state(
    bytes: &mut [u8],
    owner_id: u64,
    published_ms: u64,
    blocks_published: u64,
    state: &StripState,
) {
    put(bytes, at::OWNER_ID, owner_id.to_le_bytes());
    put(bytes, at::PUBLISHED_MS, published_ms.to_le_bytes());
    put(bytes, at::BLOCKS_PUBLISHED, blocks_published.to_le_bytes());
    put(bytes, at::NAME, state.name.bytes);
    bytes[at::NAME_LEN] = state.name.len;
    bytes[at::ROLE] = ROLES.iter().position(|&r| r == state.role).unwrap_or(0) as u8;
    bytes[at::NUM_CHANNELS] = state.num_channels;
    bytes[at::SWITCHES] =
        u8::from(state.invert[0]) | u8::from(state.invert[1]) << 1 | u8::from(state.bypassed) << 2;
    put(bytes, at::STAGES, state.stages.0.to_le_bytes());
    put(bytes, at::WARNINGS, state.warnings.0.to_le_bytes());
    put(
        bytes,
        at::LATENCY_SAMPLES,
        state.latency_samples.to_le_bytes(),
    );
    for (offset, value) in [
        (at::SAMPLE_RATE_HZ, state.sample_rate_hz),
        (at::TRIM_DB, state.trim_db),
        (at::OUTPUT_DB, state.output_db),
        (at::REDUCTION_DB, state.reduction_db),
        (at::PEAK_DBFS, state.peak_dbfs),
        (at::MOMENTARY_LUFS, state.momentary_lufs),
        (at::SHORT_TERM_LUFS, state.short_term_lufs),
    ] {
        put(bytes, offset, value.to_le_bytes());
    }
}

/// Writes `block` into its ring position.
pub(crate) fn encode_block(bytes: &mut [u8], block: &EnergyBlock) {
    let at = at::ENERGY_RING + (block.sequence as usize % ENERGY_RING_LEN) * ENERGY_BLOCK_BYTES;
    put(bytes, at, block.sequence.to_le_bytes());
    put(bytes, at + 8, block.start_samples.to_le_bytes());
    put(bytes, at + 16, block.num_frames.to_le_bytes());
    put(bytes, at + 20, block.flags.to_le_bytes());
    put(bytes, at + 24, block.peak_dbfs.to_le_bytes());
    put(bytes, at + 28, [0u8; 4]);
    put(bytes, at + 32, block.energy.to_le_bytes());
}

/// The owner id, publish time and block count of a payload.
pub(crate) fn decode_meta(bytes: &[u8]) -> (u64, u64, u64) {
    (
        u64::from_le_bytes(get(bytes, at::OWNER_ID)),
        u64::from_le_bytes(get(bytes, at::PUBLISHED_MS)),
        u64::from_le_bytes(get(bytes, at::BLOCKS_PUBLISHED)),
    )
}

/// The scalars of a payload (validated: an unknown role reads as `Other`).
pub(crate) fn decode_state(bytes: &[u8]) -> StripState {
    let f = |offset| f32::from_le_bytes(get(bytes, offset));
    let u = |offset| u32::from_le_bytes(get(bytes, offset));
    let switches = bytes[at::SWITCHES];
    StripState {
        name: StripName::decode(&bytes[at::NAME..at::NAME + NAME_BYTES], bytes[at::NAME_LEN]),
        role: ROLES
            .get(usize::from(bytes[at::ROLE]))
            .copied()
            .unwrap_or(Role::Other),
        num_channels: bytes[at::NUM_CHANNELS],
        trim_db: f(at::TRIM_DB),
        output_db: f(at::OUTPUT_DB),
        invert: [switches & 1 != 0, switches & 2 != 0],
        bypassed: switches & 4 != 0,
        stages: Stages(u(at::STAGES)),
        reduction_db: f(at::REDUCTION_DB),
        peak_dbfs: f(at::PEAK_DBFS),
        momentary_lufs: f(at::MOMENTARY_LUFS),
        short_term_lufs: f(at::SHORT_TERM_LUFS),
        warnings: Warnings(u(at::WARNINGS)),
        latency_samples: u(at::LATENCY_SAMPLES),
        sample_rate_hz: f(at::SAMPLE_RATE_HZ),
    }
}

/// The energy blocks of a payload whose count is `blocks_published`, oldest first, into `out`
/// (returns how many). Entries whose sequence does not match their ring position are skipped.
pub(crate) fn decode_blocks(
    bytes: &[u8],
    blocks_published: u64,
    out: &mut [EnergyBlock; ENERGY_RING_LEN],
) -> usize {
    let first = blocks_published.saturating_sub(ENERGY_RING_LEN as u64);
    let mut n = 0;
    for sequence in first..blocks_published {
        let at = at::ENERGY_RING + (sequence as usize % ENERGY_RING_LEN) * ENERGY_BLOCK_BYTES;
        if u64::from_le_bytes(get(bytes, at)) != sequence {
            continue;
        }
        out[n] = EnergyBlock {
            sequence,
            start_samples: i64::from_le_bytes(get(bytes, at + 8)),
            num_frames: u32::from_le_bytes(get(bytes, at + 16)),
            flags: u32::from_le_bytes(get(bytes, at + 20)),
            peak_dbfs: f32::from_le_bytes(get(bytes, at + 24)),
            energy: f64::from_le_bytes(get(bytes, at + 32)),
        };
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::payload;

    #[test]
    fn names_are_cut_on_character_boundaries() {
        let long = "é".repeat(40); // 80 bytes
        let name = StripName::new(&long);
        assert_eq!(name.as_str().len(), 64);
        assert_eq!(name.as_str(), "é".repeat(32));
        assert_eq!(StripName::new("Drums").as_str(), "Drums");
    }

    #[test]
    fn state_and_blocks_round_trip() {
        let mut bytes = [0u8; payload::LEN];
        let state = StripState {
            name: StripName::new("Lead vox"),
            role: Role::Vocals,
            num_channels: 1,
            trim_db: -2.5,
            output_db: 1.0,
            invert: [true, false],
            bypassed: true,
            stages: Stages::COMPRESSOR.with(Stages::EQ, true),
            reduction_db: 3.25,
            peak_dbfs: -1.5,
            momentary_lufs: -18.0,
            short_term_lufs: -19.5,
            warnings: Warnings::RATIO,
            latency_samples: 79,
            sample_rate_hz: 48_000.0,
        };
        encode_state(&mut bytes, 42, 7, 40, &state);
        for sequence in 0..40 {
            let block = EnergyBlock {
                sequence,
                start_samples: sequence as i64 * 4800,
                num_frames: 4800,
                flags: EnergyBlock::PLAYING,
                peak_dbfs: -3.0,
                energy: sequence as f64,
            };
            encode_block(&mut bytes, &block);
        }
        assert_eq!(decode_meta(&bytes), (42, 7, 40));
        assert_eq!(decode_state(&bytes), state);
        let mut blocks = [EnergyBlock::default(); ENERGY_RING_LEN];
        assert_eq!(decode_blocks(&bytes, 40, &mut blocks), ENERGY_RING_LEN);
        assert_eq!(blocks[0].sequence, 8);
        assert_eq!(blocks[31].energy, 39.0);
    }

    #[test]
    fn garbage_decodes_to_valid_values() {
        let bytes: Vec<u8> = (0..payload::LEN).map(|i| (i * 7919 % 251) as u8).collect();
        let state = decode_state(&bytes);
        assert!(state.name.as_str().len() <= NAME_BYTES);
        let mut blocks = [EnergyBlock::default(); ENERGY_RING_LEN];
        decode_blocks(&bytes, u64::MAX, &mut blocks);
    }
}
