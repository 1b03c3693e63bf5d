//! Why the session link is unavailable.

use std::fmt;
use std::path::PathBuf;

/// Why a publisher or reader could not join a session; the plugins then work standalone and
/// show [`LinkError`]'s text ("Session link unavailable: …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// No directory to hold the segment was found or it is not usable.
    NoDirectory(String),
    /// Creating, sizing or mapping the segment file failed.
    Io {
        /// The segment file.
        path: PathBuf,
        /// What failed, with the OS error.
        what: String,
    },
    /// The file exists but belongs to another user.
    ForeignOwner(PathBuf),
    /// Every one of the 64 slots is held by a live strip.
    NoFreeSlot,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session link unavailable: ")?;
        match self {
            Self::NoDirectory(why) => write!(f, "no shared-memory directory ({why})"),
            Self::Io { path, what } => write!(f, "{what} {}", path.display()),
            Self::ForeignOwner(path) => {
                write!(f, "{} belongs to another user", path.display())
            }
            Self::NoFreeSlot => write!(f, "all {} slots are taken", crate::SLOT_COUNT),
        }
    }
}

impl std::error::Error for LinkError {}
