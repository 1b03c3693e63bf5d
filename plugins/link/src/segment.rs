//! The shared segment: finding, creating, validating and mapping the file; one mapping per
//! process and session (a registry of weak references); the keeper thread.

use crate::clock::{now_ms, CLOCK_KIND};
use crate::error::LinkError;
use crate::layout::{self, header, slot, SEGMENT_SIZE_BYTES, SLOT_COUNT};
use crate::{KEEPER_PERIOD_MS, STALE_AFTER_MS};
use memmap2::MmapRaw;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// The session both plugins join unless the user names another.
pub const DEFAULT_SESSION: &str = "default";
/// Longest sanitised session name in the file name, characters.
const MAX_SESSION_CHARS: usize = 40;
/// Environment variable overriding the segment directory.
pub const DIR_ENV: &str = "STEMWISE_LINK_DIR";

/// `name` as a file-name component: `[A-Za-z0-9_-]` kept, anything else `_`, at most 40
/// characters; when that changed the name, a hash of the original is appended so distinct
/// session names stay distinct. An empty or blank name is [`DEFAULT_SESSION`].
pub fn sanitize_session_name(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return DEFAULT_SESSION.to_owned();
    }
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_SESSION_CHARS)
        .collect();
    if clean == name {
        return clean;
    }
    format!("{clean}-{:08x}", fnv32(name.as_bytes()))
}

/// FNV-1a, 32 bit (stable across processes and builds, unlike `DefaultHasher`).
fn fnv32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The current user, for the file name: the effective uid on Unix, `USERNAME` elsewhere.
fn user_tag() -> String {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        format!("u{}", unsafe { libc::geteuid() })
    }
    #[cfg(not(unix))]
    {
        let user = std::env::var("USERNAME").unwrap_or_default();
        format!("u{}", sanitize_session_name(&user))
    }
}

/// The directory for segments: `$STEMWISE_LINK_DIR`, `/dev/shm` (Linux), `$XDG_RUNTIME_DIR`,
/// else the OS temp directory.
fn link_dir() -> Result<PathBuf, LinkError> {
    if let Some(dir) = std::env::var_os(DIR_ENV) {
        let dir = PathBuf::from(dir);
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(LinkError::NoDirectory(format!(
                "{DIR_ENV}={} is not a directory",
                dir.display()
            )))
        };
    }
    let shm = Path::new("/dev/shm");
    if cfg!(target_os = "linux") && shm.is_dir() {
        return Ok(shm.to_owned());
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    Ok(std::env::temp_dir())
}

/// The segment file of `session` for the current user.
///
/// # Errors
/// When no usable directory exists ([`DIR_ENV`] names a missing directory).
pub fn segment_path(session: &str) -> Result<PathBuf, LinkError> {
    Ok(link_dir()?.join(format!(
        "stemwise-link-v{}-{}-{}",
        layout::LAYOUT_VERSION,
        user_tag(),
        sanitize_session_name(session)
    )))
}

/// The mapping and this process's bookkeeping about it (shared with the keeper thread).
pub(crate) struct Mapping {
    /// The shared mapping (raw: only ever accessed through atomics).
    raw: MmapRaw,
    /// Per slot: the owner id a live publisher of this process holds there (0 = none). The
    /// keeper refreshes those heartbeats.
    owned: [AtomicU64; SLOT_COUNT],
}

/// The atomics of one slot.
pub(crate) struct SlotView<'a> {
    /// Owner id, 0 = free.
    pub owner: &'a AtomicU64,
    /// Heartbeat, clock ms.
    pub heartbeat: &'a AtomicU64,
    /// Seqlock sequence.
    pub seq: &'a AtomicU64,
    /// Checksum and payload words.
    pub body: &'a [AtomicU64],
}

impl Mapping {
    /// Every word of the segment.
    fn words(&self) -> &[AtomicU64] {
        // SAFETY: the mapping is SEGMENT_SIZE_BYTES long (checked at map time), page aligned
        // (so 8-byte aligned), and lives as long as `self`. It is only ever accessed through
        // these atomics in this process, and other processes only use atomic instructions of
        // the same width on it, so there is no data race. AtomicU64 has the size and alignment
        // of u64 and interior mutability, so a shared slice of them over writable memory is
        // valid.
        unsafe {
            std::slice::from_raw_parts(
                self.raw.as_mut_ptr().cast::<AtomicU64>(),
                SEGMENT_SIZE_BYTES / 8,
            )
        }
    }

    /// The header words.
    fn header(&self) -> &[AtomicU64] {
        &self.words()[..layout::HEADER_SIZE_BYTES / 8]
    }

    /// Slot `index` (< [`SLOT_COUNT`]).
    pub(crate) fn slot(&self, index: usize) -> SlotView<'_> {
        let start = (layout::HEADER_SIZE_BYTES + index * layout::SLOT_SIZE_BYTES) / 8;
        let words = &self.words()[start..start + layout::SLOT_SIZE_BYTES / 8];
        SlotView {
            owner: &words[slot::OWNER],
            heartbeat: &words[slot::HEARTBEAT],
            seq: &words[slot::SEQ],
            body: &words[slot::BODY..slot::BODY + layout::BODY_WORDS],
        }
    }

    /// The header's expected words.
    fn expected_header() -> [(usize, u64); 7] {
        [
            (header::MAGIC, layout::MAGIC),
            (header::VERSION, layout::LAYOUT_VERSION),
            (header::SLOT_COUNT, SLOT_COUNT as u64),
            (header::SLOT_SIZE, layout::SLOT_SIZE_BYTES as u64),
            (header::SEGMENT_SIZE, SEGMENT_SIZE_BYTES as u64),
            (header::HEADER_SIZE, layout::HEADER_SIZE_BYTES as u64),
            (header::CLOCK_KIND, CLOCK_KIND),
        ]
    }

    /// True if the header holds the expected constants.
    pub(crate) fn header_is_valid(&self) -> bool {
        let h = self.header();
        Self::expected_header()
            .iter()
            .all(|&(i, v)| h[i].load(Ordering::Acquire) == v)
    }

    /// Rewrites the header's constants (idempotent: racing repairers write the same values).
    /// Returns true if anything was wrong.
    pub(crate) fn repair_header(&self) -> bool {
        if self.header_is_valid() {
            return false;
        }
        let h = self.header();
        for (i, v) in Self::expected_header() {
            h[i].store(v, Ordering::Relaxed);
        }
        fence(Ordering::Release);
        true
    }

    /// Records that this process's publisher `owner_id` holds slot `index` (0 = none).
    pub(crate) fn set_owned(&self, index: usize, owner_id: u64) {
        self.owned[index].store(owner_id, Ordering::Release);
    }

    /// One keeper round: repairs the header and refreshes the heartbeats of the slots this
    /// process's live publishers hold.
    fn keep(&self) {
        self.repair_header();
        let now = now_ms();
        for (index, owned) in self.owned.iter().enumerate() {
            let id = owned.load(Ordering::Acquire);
            let slot = self.slot(index);
            if id != 0 && slot.owner.load(Ordering::Acquire) == id {
                slot.heartbeat.store(now, Ordering::Release);
            }
        }
    }
}

/// True if a slot with this owner word and heartbeat belongs to a live strip at `now`.
pub(crate) fn is_live(owner: u64, heartbeat_ms: u64, now: u64) -> bool {
    owner != 0 && now.abs_diff(heartbeat_ms) <= STALE_AFTER_MS
}

/// An open segment: the mapping and its keeper thread. Shared (`Arc`) by every publisher and
/// reader of one session in this process.
pub(crate) struct Segment {
    /// The mapping, also held by the keeper.
    pub(crate) map: Arc<Mapping>,
    /// The file, for display.
    pub(crate) path: PathBuf,
    /// Tells the keeper to stop.
    stop: Arc<AtomicBool>,
    /// The keeper thread (joined on drop).
    keeper: Option<JoinHandle<()>>,
}

impl Drop for Segment {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(keeper) = self.keeper.take() {
            keeper.thread().unpark();
            let _ = keeper.join();
        }
    }
}

/// Segments open in this process, by file.
static REGISTRY: Mutex<Vec<(PathBuf, Weak<Segment>)>> = Mutex::new(Vec::new());

impl Segment {
    /// The segment of `session`, shared with every other user of it in this process; creates,
    /// validates or repairs the file as the crate documentation describes. Not for the audio
    /// thread (file system calls, allocation).
    pub(crate) fn open(session: &str) -> Result<Arc<Segment>, LinkError> {
        let path = segment_path(session)?;
        let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        registry.retain(|(_, weak)| weak.strong_count() > 0);
        if let Some(segment) = registry
            .iter()
            .find(|(p, _)| *p == path)
            .and_then(|(_, weak)| weak.upgrade())
        {
            return Ok(segment);
        }
        let map = Arc::new(Mapping {
            raw: map_file(&path)?,
            owned: [const { AtomicU64::new(0) }; SLOT_COUNT],
        });
        map.repair_header();
        let stop = Arc::new(AtomicBool::new(false));
        let keeper = {
            let (map, stop) = (map.clone(), stop.clone());
            std::thread::Builder::new()
                .name("stemwise-link-keeper".into())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        map.keep();
                        std::thread::park_timeout(Duration::from_millis(KEEPER_PERIOD_MS));
                    }
                })
                .map_err(|e| LinkError::Io {
                    path: path.clone(),
                    what: format!("cannot start the keeper thread ({e}) for"),
                })?
        };
        let segment = Arc::new(Segment {
            map,
            path: path.clone(),
            stop,
            keeper: Some(keeper),
        });
        registry.push((path, Arc::downgrade(&segment)));
        Ok(segment)
    }
}

/// Opens (creating if needed) and maps the segment file, recreating one of the wrong size.
fn map_file(path: &Path) -> Result<MmapRaw, LinkError> {
    let io = |what: &str, e: std::io::Error| LinkError::Io {
        path: path.to_owned(),
        what: format!("{what} ({e}):"),
    };
    for attempt in 0..2 {
        let file = open_file(path).map_err(|e| io("cannot open", e))?;
        let meta = file.metadata().map_err(|e| io("cannot stat", e))?;
        check_owner(&meta, path)?;
        let len = meta.len();
        if len == 0 {
            file.set_len(SEGMENT_SIZE_BYTES as u64)
                .map_err(|e| io("cannot size", e))?;
        } else if len != SEGMENT_SIZE_BYTES as u64 {
            // Foreign or damaged: never map it (a short file would fault on access).
            if attempt == 0 {
                std::fs::remove_file(path).map_err(|e| io("cannot remove the foreign", e))?;
                continue;
            }
            return Err(io(
                "wrong size, twice",
                std::io::Error::other(format!("{len} bytes")),
            ));
        }
        let raw = MmapRaw::map_raw(&file).map_err(|e| io("cannot map", e))?;
        if raw.len() != SEGMENT_SIZE_BYTES {
            return Err(io(
                "mapped the wrong size",
                std::io::Error::other(format!("{} bytes", raw.len())),
            ));
        }
        return Ok(raw);
    }
    unreachable!("the loop returns on its second pass")
}

/// Opens `path` read-write, creating it with mode 0600 and never following a symlink.
fn open_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Refuses a file another user owns (Unix).
fn check_owner(meta: &std::fs::Metadata, path: &Path) -> Result<(), LinkError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if meta.uid() != unsafe { libc::geteuid() } {
            return Err(LinkError::ForeignOwner(path.to_owned()));
        }
    }
    let _ = (meta, path);
    Ok(())
}

/// A random owner id: `pid << 32` and 32 random, non-zero bits (from the standard library's
/// per-process random hasher keys, the time and a counter).
pub(crate) fn new_owner_id() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    std::time::SystemTime::now().hash(&mut hasher);
    let random = (hasher.finish() as u32).max(1);
    (u64::from(std::process::id()) << 32) | u64::from(random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sanitised_and_stay_distinct() {
        assert_eq!(sanitize_session_name(""), "default");
        assert_eq!(sanitize_session_name("  "), "default");
        assert_eq!(sanitize_session_name("album_01-mix"), "album_01-mix");
        let a = sanitize_session_name("My Song");
        let b = sanitize_session_name("My_Song");
        assert_ne!(a, b);
        assert!(a.starts_with("My_Song-"));
        let evil = sanitize_session_name("../../etc/passwd");
        assert!(!evil.contains('/') && !evil.contains(".."), "{evil}");
        assert!(sanitize_session_name(&"x".repeat(500)).len() <= MAX_SESSION_CHARS + 9);
    }

    #[test]
    fn owner_ids_are_unique_and_carry_the_pid() {
        let a = new_owner_id();
        let b = new_owner_id();
        assert_ne!(a, b);
        assert_eq!(a >> 32, u64::from(std::process::id()));
        assert_ne!(a as u32, 0);
    }
}
