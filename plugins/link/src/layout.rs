//! The segment's memory layout: sizes and offsets shared by writers and readers. The words and
//! the payload's byte offsets are the protocol; changing any of them needs a new
//! [`LAYOUT_VERSION`] (which is part of the file name, so versions never meet).

/// Layout version (header word 1 and part of the file name).
pub const LAYOUT_VERSION: u64 = 1;
/// Header word 0: `b"STMWLINK"` read as a little-endian `u64`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"STMWLINK");
/// Number of strip slots.
pub const SLOT_COUNT: usize = 64;
/// Bytes per slot.
pub const SLOT_SIZE_BYTES: usize = 2048;
/// Bytes of the header before slot 0.
pub const HEADER_SIZE_BYTES: usize = 256;
/// Bytes of the whole segment.
pub const SEGMENT_SIZE_BYTES: usize = HEADER_SIZE_BYTES + SLOT_COUNT * SLOT_SIZE_BYTES;

/// Header word indices.
pub mod header {
    /// [`super::MAGIC`].
    pub const MAGIC: usize = 0;
    /// [`super::LAYOUT_VERSION`].
    pub const VERSION: usize = 1;
    /// [`super::SLOT_COUNT`].
    pub const SLOT_COUNT: usize = 2;
    /// [`super::SLOT_SIZE_BYTES`].
    pub const SLOT_SIZE: usize = 3;
    /// [`super::SEGMENT_SIZE_BYTES`].
    pub const SEGMENT_SIZE: usize = 4;
    /// [`super::HEADER_SIZE_BYTES`].
    pub const HEADER_SIZE: usize = 5;
    /// Which clock the heartbeats use (1 = `CLOCK_MONOTONIC` ms, 2 = Unix-epoch ms).
    pub const CLOCK_KIND: usize = 6;
}

/// Word indices inside a slot.
pub mod slot {
    /// Owner id (`pid << 32 | random`, 0 = free); claimed by CAS.
    pub const OWNER: usize = 0;
    /// Heartbeat, clock ms.
    pub const HEARTBEAT: usize = 1;
    /// Seqlock sequence (odd while the owner writes).
    pub const SEQ: usize = 2;
    /// First word under the seqlock: the checksum, then the payload.
    pub const BODY: usize = 3;
}

/// Ring length of the 100 ms energy blocks in each slot (3.2 s: one short-term window).
pub const ENERGY_RING_LEN: usize = 32;
/// Bytes per energy block in the ring.
pub const ENERGY_BLOCK_BYTES: usize = 40;

/// Byte offsets inside the payload (after the checksum word).
pub mod payload {
    /// `u64` owner id: must equal the slot's owner word.
    pub const OWNER_ID: usize = 0;
    /// `u64` clock ms of this publish.
    pub const PUBLISHED_MS: usize = 8;
    /// `u64` energy blocks published so far (the next block's sequence number).
    pub const BLOCKS_PUBLISHED: usize = 16;
    /// `[u8; 64]` display name, UTF-8, NUL padded.
    pub const NAME: usize = 24;
    /// `u8` name length in bytes.
    pub const NAME_LEN: usize = 88;
    /// `u8` role index into `shared_dsp::roles::ROLES`.
    pub const ROLE: usize = 89;
    /// `u8` audio channels (1 or 2).
    pub const NUM_CHANNELS: usize = 90;
    /// `u8` switches: bit 0 polarity L inverted, bit 1 polarity R inverted, bit 2 bypassed.
    pub const SWITCHES: usize = 91;
    /// `u32` stages on ([`crate::Stages`] bits).
    pub const STAGES: usize = 92;
    /// `u32` guardrail warnings ([`crate::Warnings`] bits).
    pub const WARNINGS: usize = 96;
    /// `u32` reported latency, samples.
    pub const LATENCY_SAMPLES: usize = 100;
    /// `f32` sample rate, Hz.
    pub const SAMPLE_RATE_HZ: usize = 104;
    /// `f32` input trim, dB.
    pub const TRIM_DB: usize = 108;
    /// `f32` output gain, dB.
    pub const OUTPUT_DB: usize = 112;
    /// `f32` compressor gain reduction, dB (positive).
    pub const REDUCTION_DB: usize = 116;
    /// `f32` output sample peak of the last block, dBFS.
    pub const PEAK_DBFS: usize = 120;
    /// `f32` output momentary loudness, LUFS.
    pub const MOMENTARY_LUFS: usize = 124;
    /// `f32` output short-term loudness, LUFS.
    pub const SHORT_TERM_LUFS: usize = 128;
    /// First energy block; block `k` lives at `ENERGY_RING + (k % ENERGY_RING_LEN) * 40`:
    /// `u64` sequence, `i64` start position (samples), `u32` frames, `u32` flags,
    /// `f32` peak dBFS, 4 reserved bytes, `f64` energy.
    pub const ENERGY_RING: usize = 136;
    /// Payload bytes in all.
    pub const LEN: usize = ENERGY_RING + super::ENERGY_RING_LEN * super::ENERGY_BLOCK_BYTES;
}

/// Payload words.
pub const PAYLOAD_WORDS: usize = payload::LEN.div_ceil(8);
/// Words under the seqlock: the checksum and the payload.
pub const BODY_WORDS: usize = 1 + PAYLOAD_WORDS;

const _: () = assert!(payload::LEN.is_multiple_of(8));
const _: () = assert!((slot::BODY + BODY_WORDS) * 8 <= SLOT_SIZE_BYTES);
const _: () = assert!(HEADER_SIZE_BYTES.is_multiple_of(8) && SLOT_SIZE_BYTES.is_multiple_of(8));

/// The checksum of the payload words (FNV-1a over the words; catches foreign bytes).
pub(crate) fn checksum(words: &[u64]) -> u64 {
    words.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &w| {
        (h ^ w).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
