//! The Master Bus's side: snapshots of every live strip of a session.

use crate::clock::now_ms;
use crate::error::LinkError;
use crate::layout::{self, ENERGY_RING_LEN, SLOT_COUNT};
use crate::record::{decode_blocks, decode_meta, decode_state, EnergyBlock, StripState};
use crate::segment::{is_live, Segment};
use crate::seqlock;
use crate::IDLE_AFTER_MS;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Seqlock read attempts per slot and snapshot before the slot is skipped for that snapshot.
const READ_ATTEMPTS: u32 = 64;

/// One live strip as a snapshot saw it (a consistent copy of its slot).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkedStrip {
    /// Slot index (stable while the strip lives; a display order tie-breaker).
    pub slot_index: usize,
    /// The strip's owner id: its process id in the upper 32 bits, a random instance id below.
    pub owner_id: u64,
    /// How long ago the strip last published, ms (0 when it published in the same ms).
    pub published_age_ms: u64,
    /// True if it published within [`IDLE_AFTER_MS`] (the host is calling its `process`).
    pub is_processing: bool,
    /// Everything the strip published.
    pub state: StripState,
    /// The last energy blocks, oldest first: `energy_blocks[..num_energy_blocks]`.
    pub energy_blocks: [EnergyBlock; ENERGY_RING_LEN],
    /// How many of `energy_blocks` are valid.
    pub num_energy_blocks: usize,
}

impl LinkedStrip {
    /// The strip's process id.
    pub fn pid(&self) -> u32 {
        (self.owner_id >> 32) as u32
    }

    /// The valid energy blocks, oldest first.
    pub fn energy_blocks(&self) -> &[EnergyBlock] {
        &self.energy_blocks[..self.num_energy_blocks]
    }
}

/// Reads a session's strips. Cheap to keep around; `snapshot` copies each live slot once.
#[derive(Clone)]
pub struct Reader {
    /// The session's segment (shared with publishers in this process).
    segment: Arc<Segment>,
    /// The session name as given.
    session: String,
}

impl Reader {
    /// Opens `session` for reading (creates the segment if no strip has yet). Not for the
    /// audio thread.
    ///
    /// # Errors
    /// When the segment cannot be opened; the Master Bus then shows the error's text.
    pub fn open(session: &str) -> Result<Self, LinkError> {
        Ok(Self {
            segment: Segment::open(session)?,
            session: session.to_owned(),
        })
    }

    /// The session name this reader opened.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// The segment file.
    pub fn path(&self) -> &Path {
        &self.segment.path
    }

    /// Every live strip, sorted by slot (allocates the list; for a GUI thread).
    pub fn snapshot(&self) -> Vec<LinkedStrip> {
        let mut out = Vec::with_capacity(SLOT_COUNT);
        self.snapshot_into(&mut out);
        out
    }

    /// Every live strip into `out` (cleared first). Allocation-free when `out` has capacity
    /// for [`SLOT_COUNT`] strips, so an audio thread may call it once per block. Never waits
    /// for a writer: a slot that stays mid-write for 64 attempts is left out of this snapshot.
    pub fn snapshot_into(&self, out: &mut Vec<LinkedStrip>) {
        out.clear();
        let now = now_ms();
        let map = &self.segment.map;
        let mut body = [0u64; layout::BODY_WORDS];
        let mut bytes = [0u8; layout::PAYLOAD_WORDS * 8];
        for slot_index in 0..SLOT_COUNT {
            let slot = map.slot(slot_index);
            let owner = slot.owner.load(Ordering::Acquire);
            if !is_live(owner, slot.heartbeat.load(Ordering::Acquire), now)
                || !seqlock::read(slot.seq, slot.body, &mut body, READ_ATTEMPTS)
                || slot.owner.load(Ordering::Acquire) != owner
            {
                continue;
            }
            let (checksum, words) = body.split_first().expect("body has words");
            if layout::checksum(words) != *checksum {
                continue;
            }
            for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            let (owner_id, published_ms, blocks_published) = decode_meta(&bytes);
            if owner_id != owner {
                continue;
            }
            let mut strip = LinkedStrip {
                slot_index,
                owner_id,
                published_age_ms: now.saturating_sub(published_ms),
                is_processing: now.abs_diff(published_ms) <= IDLE_AFTER_MS,
                state: decode_state(&bytes),
                energy_blocks: [EnergyBlock::default(); ENERGY_RING_LEN],
                num_energy_blocks: 0,
            };
            strip.num_energy_blocks =
                decode_blocks(&bytes, blocks_published, &mut strip.energy_blocks);
            out.push(strip);
        }
    }
}
