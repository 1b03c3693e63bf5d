//! The Stem Strip's side: claim a slot, publish once per block.

use crate::clock::now_ms;
use crate::error::LinkError;
use crate::layout::{self, payload, SLOT_COUNT};
use crate::record::{encode_block, encode_state, EnergyBlock, StripState};
use crate::segment::{is_live, new_owner_id, Segment};
use crate::seqlock;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How often a publisher whose slot was taken from it (foreign bytes, a clock jump) tries to
/// claim one again from its audio thread, ms.
const RECLAIM_INTERVAL_MS: u64 = 250;

/// One strip's place in a session: a claimed slot and the local copy of its payload.
///
/// Create and drop it off the audio thread ([`Publisher::connect`] maps files and allocates;
/// dropping may unmap). [`Publisher::publish`] is for the audio thread: wait-free, no locks, no
/// allocation.
pub struct Publisher {
    /// The session's segment.
    segment: Arc<Segment>,
    /// The session name as given.
    session: String,
    /// The slot held (meaningful while `holds_slot`).
    slot_index: usize,
    /// This publisher's owner id (`pid << 32 | random`).
    owner_id: u64,
    /// True while the slot's owner word is ours (as far as the last publish saw).
    holds_slot: bool,
    /// Set by [`Publisher::release`]: never claim or publish again.
    released: bool,
    /// The writer's copy of the slot's seqlock sequence.
    local_seq: u64,
    /// Energy blocks published so far.
    blocks_published: u64,
    /// Clock ms of the last claim attempt.
    last_claim_ms: u64,
    /// The checksum word followed by the payload bytes (little-endian words).
    payload: [u8; layout::PAYLOAD_WORDS * 8],
    /// The words written under the seqlock: checksum then payload.
    body: [u64; layout::BODY_WORDS],
}

impl Publisher {
    /// Joins `session` and claims a free (or stale) slot.
    ///
    /// # Errors
    /// When the segment cannot be opened ([`LinkError`]) or all 64 slots are live.
    pub fn connect(session: &str) -> Result<Self, LinkError> {
        let segment = Segment::open(session)?;
        let mut publisher = Self {
            segment,
            session: session.to_owned(),
            slot_index: 0,
            owner_id: new_owner_id(),
            holds_slot: false,
            released: false,
            local_seq: 0,
            blocks_published: 0,
            last_claim_ms: 0,
            payload: [0; layout::PAYLOAD_WORDS * 8],
            body: [0; layout::BODY_WORDS],
        };
        if !publisher.claim(now_ms()) {
            return Err(LinkError::NoFreeSlot);
        }
        Ok(publisher)
    }

    /// The session name this publisher joined.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// The segment file.
    pub fn path(&self) -> &Path {
        &self.segment.path
    }

    /// The slot held, if any (it may be lost to foreign bytes and re-claimed on a later block).
    pub fn slot_index(&self) -> Option<usize> {
        self.holds_slot.then_some(self.slot_index)
    }

    /// This publisher's owner id (`pid << 32 | random`).
    pub fn owner_id(&self) -> u64 {
        self.owner_id
    }

    /// Claims a free or stale slot with one CAS each (at most [`SLOT_COUNT`]); never allocates.
    fn claim(&mut self, now: u64) -> bool {
        self.last_claim_ms = now;
        let map = &self.segment.map;
        for index in 0..SLOT_COUNT {
            let slot = map.slot(index);
            let owner = slot.owner.load(Ordering::Acquire);
            let heartbeat = slot.heartbeat.load(Ordering::Acquire);
            if is_live(owner, heartbeat, now) {
                continue;
            }
            if slot
                .owner
                .compare_exchange(owner, self.owner_id, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                slot.heartbeat.store(now, Ordering::Release);
                // Continue from past whatever sequence the slot had, so no reader can pair an
                // old and a new copy with equal sequences.
                self.local_seq = (slot.seq.load(Ordering::Relaxed) | 1).wrapping_add(1);
                self.slot_index = index;
                self.holds_slot = true;
                map.set_owned(index, self.owner_id);
                return true;
            }
        }
        false
    }

    /// Publishes `state` and any newly `completed` energy blocks (audio thread, once per block:
    /// wait-free, no locks, no allocation). When the slot was taken (foreign bytes), this
    /// claims one again at most every 250 ms; until then it publishes nothing.
    pub fn publish(&mut self, state: &StripState, completed: &[EnergyBlock]) {
        if self.released {
            return;
        }
        let now = now_ms();
        let map = &self.segment.map;
        if self.holds_slot
            && map.slot(self.slot_index).owner.load(Ordering::Acquire) != self.owner_id
        {
            self.holds_slot = false;
            map.set_owned(self.slot_index, 0);
        }
        if !self.holds_slot
            && (now.saturating_sub(self.last_claim_ms) < RECLAIM_INTERVAL_MS || !self.claim(now))
        {
            return;
        }
        let bytes = &mut self.payload;
        for block in completed {
            let block = EnergyBlock {
                sequence: self.blocks_published,
                ..*block
            };
            encode_block(bytes, &block);
            self.blocks_published += 1;
        }
        encode_state(bytes, self.owner_id, now, self.blocks_published, state);
        let (checksum, words) = self.body.split_first_mut().expect("body has words");
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        *checksum = layout::checksum(words);
        let slot = self.segment.map.slot(self.slot_index);
        seqlock::write(slot.seq, &mut self.local_seq, slot.body, &self.body);
        slot.heartbeat.store(now, Ordering::Release);
    }

    /// Leaves the slot at once (owner word back to 0); later publishes do nothing. Atomic
    /// stores only, so the audio thread may call it before handing the publisher away to be
    /// dropped elsewhere.
    pub fn release(&mut self) {
        if self.released {
            return;
        }
        self.released = true;
        if self.holds_slot {
            let map = &self.segment.map;
            map.set_owned(self.slot_index, 0);
            let _ = map.slot(self.slot_index).owner.compare_exchange(
                self.owner_id,
                0,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
            self.holds_slot = false;
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.release();
    }
}

const _: () = assert!(payload::LEN <= layout::PAYLOAD_WORDS * 8);
