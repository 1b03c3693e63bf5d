//! The seqlock over a run of `AtomicU64` words (single writer, any number of readers).
//! Protocol and memory-ordering argument: the crate documentation.

use std::sync::atomic::{fence, AtomicU64, Ordering};

/// Writes `src` into `dst` under the sequence word `seq`. `local_seq` is the writer's own copy
/// of the (even) sequence; the writer never reads `seq` back, so garbage there heals.
/// Wait-free; never allocates.
#[inline]
pub(crate) fn write(seq: &AtomicU64, local_seq: &mut u64, dst: &[AtomicU64], src: &[u64]) {
    let odd = (*local_seq & !1).wrapping_add(1);
    seq.store(odd, Ordering::Relaxed);
    fence(Ordering::Release);
    for (d, &s) in dst.iter().zip(src) {
        d.store(s, Ordering::Relaxed);
    }
    let even = odd.wrapping_add(1);
    seq.store(even, Ordering::Release);
    *local_seq = even;
}

/// One attempt to copy `src` into `dst` consistently; `false` if a write overlapped (or was in
/// progress). Never blocks.
#[inline]
pub(crate) fn try_read(seq: &AtomicU64, src: &[AtomicU64], dst: &mut [u64]) -> bool {
    let before = seq.load(Ordering::Acquire);
    if before & 1 == 1 {
        return false;
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = s.load(Ordering::Relaxed);
    }
    fence(Ordering::Acquire);
    seq.load(Ordering::Relaxed) == before
}

/// [`try_read`] up to `attempts` times, spinning briefly between attempts.
pub(crate) fn read(seq: &AtomicU64, src: &[AtomicU64], dst: &mut [u64], attempts: u32) -> bool {
    for _ in 0..attempts {
        if try_read(seq, src, dst) {
            return true;
        }
        std::hint::spin_loop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn sequence_stays_even_after_writes_and_heals_garbage() {
        let seq = AtomicU64::new(0);
        let words: Vec<AtomicU64> = (0..4).map(|_| AtomicU64::new(0)).collect();
        let mut local = 0;
        write(&seq, &mut local, &words, &[1, 2, 3, 4]);
        assert_eq!(seq.load(Ordering::Relaxed) % 2, 0);
        seq.store(12345, Ordering::Relaxed); // odd garbage
        let mut out = [0; 4];
        assert!(!try_read(&seq, &words, &mut out));
        write(&seq, &mut local, &words, &[5, 6, 7, 8]);
        assert!(try_read(&seq, &words, &mut out));
        assert_eq!(out, [5, 6, 7, 8]);
    }

    #[test]
    fn concurrent_reader_never_sees_a_torn_record() {
        const N: usize = 64;
        let seq = AtomicU64::new(0);
        let words: Vec<AtomicU64> = (0..N).map(|_| AtomicU64::new(0)).collect();
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut local = 0;
                let mut src = [0u64; N];
                for round in 1..=200_000u64 {
                    src.iter_mut().for_each(|w| *w = round);
                    write(&seq, &mut local, &words, &src);
                }
                done.store(true, Ordering::Release);
            });
            for _ in 0..2 {
                s.spawn(|| {
                    let (mut consistent, mut out) = (0u64, [0u64; N]);
                    loop {
                        let finished = done.load(Ordering::Acquire);
                        if try_read(&seq, &words, &mut out) {
                            assert!(out.iter().all(|&w| w == out[0]), "torn: {out:?}");
                            consistent += 1;
                        }
                        if finished {
                            break;
                        }
                    }
                    assert!(consistent > 0);
                });
            }
        });
    }
}
