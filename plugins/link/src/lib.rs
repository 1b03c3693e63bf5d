//! The Stemwise **session link**: every Stem Strip publishes what it is doing into a small
//! shared-memory segment on the local machine, and the Master Bus reads the whole stem session
//! from it, whether the plugins share one host process (Reaper's default) or not (Bitwig's
//! per-plugin or per-vendor sandboxes).
//!
//! - [`Publisher`] (Stem Strip): claims a slot, publishes once per block from the audio thread
//!   (wait-free, no locks, no allocation, no system call but reading a clock).
//! - [`Reader`] (Master Bus): [`Reader::snapshot`] copies every live strip, consistent per slot.
//! - [`BlockEnergyMeter`] (Stem Strip): K-weighted energy per 100 ms block, stamped with the host
//!   transport position, for the Master Bus's loudness-contribution estimate.
//!
//! # Where the segment lives
//!
//! One file per user, per session name and per layout version:
//! `stemwise-link-v{LAYOUT_VERSION}-u{uid}-{session}` in `$STEMWISE_LINK_DIR` if set, else
//! `/dev/shm` (Linux), else `$XDG_RUNTIME_DIR`, else the OS temp directory (per user on macOS
//! and Windows). The session name is sanitised to `[A-Za-z0-9_-]` (at most 40 characters); when
//! that changed it, a hash of the original is appended so distinct names stay distinct. The file
//! is created with mode 0600, opened without following symlinks, and refused when another user
//! owns it. It is mapped shared, read-write, by every plugin instance of the session (one mapping
//! per process and session, kept in a registry).
//!
//! # Memory layout (all words are `u64`, accessed only as `AtomicU64`)
//!
//! | bytes | what |
//! | --- | --- |
//! | 0–255 | header: word 0 magic `b"STMWLINK"` (little-endian), 1 layout version, 2 slot count (64), 3 slot size (2048), 4 segment size, 5 header size (256), 6 clock kind (1 = `CLOCK_MONOTONIC` ms, 2 = Unix-epoch ms) |
//! | 256 + 2048·i | slot *i*: word 0 **owner**, 1 **heartbeat** (clock ms), 2 **seq** (seqlock), 3 checksum, 4… payload |
//!
//! The payload (byte offsets, little-endian fields packed into the words) is described in
//! [`layout`]: the owner id again, publish time, energy-block count, display name (64 bytes
//! UTF-8), role, channels, polarity/bypass switches, stages, warnings, latency, sample rate, trim,
//! output gain, gain reduction, peak, momentary and short-term loudness, and a ring of the last
//! [`ENERGY_RING_LEN`] 100 ms energy blocks.
//!
//! # Protocol
//!
//! - **Claiming**: a publisher takes a slot whose owner word is 0 or whose heartbeat is stale
//!   (more than [`STALE_AFTER_MS`] away from now) with one compare-and-swap of the owner word to
//!   its id (`pid << 32 | random`, never 0). The CAS decides between racing claimers.
//! - **Publishing** (single writer per slot: the owner): a seqlock. The writer stores an odd
//!   sequence, a release fence, the checksum and payload words (relaxed), then the next even
//!   sequence with release ordering, then the heartbeat. It keeps the sequence locally, so
//!   garbage written into its slot heals on the next block.
//! - **Reading**: load the sequence (acquire); skip if odd; load the words (relaxed); acquire
//!   fence; load the sequence again; the copy is consistent if both loads are equal. This is the
//!   fence-based seqlock of Boehm, "Can seqlocks get along with programming language memory
//!   models?" (MSPC 2012, <https://dl.acm.org/doi/10.1145/2247684.2247688>): if any word the
//!   reader loaded came from a write after the writer's release fence, that fence
//!   synchronises with the reader's acquire fence, so the reader's second sequence load sees at
//!   least the odd value and the copy is discarded. A copy is also discarded if its checksum
//!   fails or its embedded owner id differs from the owner word (a slot just re-claimed, or
//!   foreign bytes). Readers retry a bounded number of times and otherwise skip the slot for
//!   that snapshot: they never wait for a writer.
//! - **Liveness**: the audio thread refreshes the heartbeat every block, and a keeper thread per
//!   process and segment refreshes it every [`KEEPER_PERIOD_MS`] for the instances that still
//!   exist, so a strip whose host stopped calling `process` stays listed (and reads as not
//!   processing). An instance that is removed clears its owner word at once; one whose process
//!   dies stops heartbeating and drops out after [`STALE_AFTER_MS`] (< 2 s). The clock is
//!   `CLOCK_MONOTONIC` on Unix (one clock for all processes of the machine, never jumps) and
//!   the system time elsewhere.
//! - **Damage**: a file of the wrong size is deleted and recreated before it is mapped; a header
//!   with the wrong magic, version or sizes is rewritten in place (by whoever opens the segment
//!   and by the keeper, idempotently); slots are validated word by word as above, and a publisher
//!   that finds its owner word overwritten claims a slot again from its audio thread (at most
//!   64 CAS, no allocation). If the segment cannot be created or mapped at all, [`LinkError`]
//!   says why and the plugins work standalone.
//!
//! # Memory ordering summary
//!
//! Owner word: CAS with `AcqRel` to claim, `Release` store of 0 to leave, `Acquire` loads.
//! Heartbeat: `Release` store after the payload, `Acquire` load before it. Payload and
//! checksum: `Relaxed`, ordered by the seqlock fences. Header: written `Relaxed` then a `Release`
//! fence; it only holds constants. All atomics are 8-byte aligned (the mapping is page aligned
//! and every offset is a multiple of 8), lock-free on every 64-bit target, and the same
//! instructions whether the other side is a thread or another process.

mod clock;
mod energy;
mod error;
mod handoff;
pub mod layout;
mod publisher;
mod reader;
mod record;
mod segment;
mod seqlock;

pub use clock::now_ms;
pub use energy::{BlockEnergyMeter, TransportStamp};
pub use error::LinkError;
pub use handoff::Mailbox;
pub use layout::{ENERGY_RING_LEN, LAYOUT_VERSION, SLOT_COUNT};
pub use publisher::Publisher;
pub use reader::{LinkedStrip, Reader};
pub use record::{EnergyBlock, Stages, StripName, StripState, Warnings};
pub use segment::{sanitize_session_name, segment_path, DEFAULT_SESSION};

/// A strip whose heartbeat is further than this from now is gone: its slot is not listed and
/// may be claimed again, ms.
pub const STALE_AFTER_MS: u64 = 1500;
/// How often the keeper thread refreshes the heartbeats of a process's live instances, ms.
pub const KEEPER_PERIOD_MS: u64 = 200;
/// A strip that has not published for this long reads as not processing, ms.
pub const IDLE_AFTER_MS: u64 = 500;
