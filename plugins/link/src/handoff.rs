//! [`Mailbox`]: hands a boxed value between a non-realtime thread and the audio thread without
//! locks or allocation on the audio side.

use std::sync::atomic::{AtomicPtr, Ordering};

/// A single-slot, lock-free mailbox for a `Box<T>`. Posting and taking are one atomic swap or
/// CAS each; allocating and freeing the boxes is left to the non-realtime side (the audio thread
/// only moves boxes around: it takes from one mailbox and posts into another with
/// [`Mailbox::post_if_empty`], so it never drops one).
pub struct Mailbox<T> {
    /// The boxed value, or null.
    ptr: AtomicPtr<T>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Self {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

impl<T> Mailbox<T> {
    /// Puts `value` in, returning what was there (the caller drops it: not on the audio thread).
    pub fn post(&self, value: Box<T>) -> Option<Box<T>> {
        let old = self.ptr.swap(Box::into_raw(value), Ordering::AcqRel);
        // SAFETY: every non-null pointer in the mailbox came from `Box::into_raw` and is owned
        // by the mailbox alone; the swap transferred that ownership to us.
        (!old.is_null()).then(|| unsafe { Box::from_raw(old) })
    }

    /// Puts `value` in if the mailbox is empty; otherwise gives it back (no drop, no
    /// allocation: safe on the audio thread).
    pub fn post_if_empty(&self, value: Box<T>) -> Result<(), Box<T>> {
        let raw = Box::into_raw(value);
        match self.ptr.compare_exchange(
            std::ptr::null_mut(),
            raw,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Ok(()),
            // SAFETY: the CAS failed, so `raw` was not stored and we still own it.
            Err(_) => Err(unsafe { Box::from_raw(raw) }),
        }
    }

    /// Takes the value out, if any (no allocation).
    pub fn take(&self) -> Option<Box<T>> {
        let old = self.ptr.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: as in `post`.
        (!old.is_null()).then(|| unsafe { Box::from_raw(old) })
    }

    /// True if the mailbox holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ptr.load(Ordering::Acquire).is_null()
    }
}

impl<T> Drop for Mailbox<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

// SAFETY: the mailbox owns at most one `Box<T>` and hands it over whole between threads, like
// a `Mutex<Option<Box<T>>>` would: sending a `T` across threads needs `T: Send`, nothing more.
unsafe impl<T: Send> Send for Mailbox<T> {}
// SAFETY: as above; shared access only swaps the pointer atomically.
unsafe impl<T: Send> Sync for Mailbox<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_move_through_whole() {
        let mailbox = Mailbox::default();
        assert!(mailbox.take().is_none());
        assert!(mailbox.post(Box::new(1)).is_none());
        assert_eq!(mailbox.post_if_empty(Box::new(2)).unwrap_err(), Box::new(2));
        assert_eq!(mailbox.post(Box::new(3)), Some(Box::new(1)));
        assert_eq!(mailbox.take(), Some(Box::new(3)));
        assert!(mailbox.is_empty());
        mailbox.post_if_empty(Box::new(4)).unwrap();
        assert!(!mailbox.is_empty());
    }
}
