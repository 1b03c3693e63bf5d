//! Scrolling meter history for graphs: the audio thread appends a row of values (e.g. one
//! per 100 ms) into a fixed ring of atomics; the GUI copies out the newest rows.
//!
//! Wait-free and allocation-free on the audio side. Values inside one row may come from two
//! consecutive pushes when the GUI reads during a write; for a graph that is harmless, and
//! no value is ever a torn float (each cell is one atomic).

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A ring of `capacity` rows of `COLS` values.
#[derive(Debug)]
pub struct History<const COLS: usize> {
    /// The rows, oldest overwritten first.
    rows: Box<[[AtomicF32; COLS]]>,
    /// Rows pushed since creation (or the last clear); the next row goes to `pushed % len`.
    pushed: AtomicUsize,
}

impl<const COLS: usize> History<COLS> {
    /// An empty history of `capacity` rows (allocates; call outside the audio thread).
    pub fn new(capacity: usize) -> Self {
        Self {
            rows: (0..capacity.max(1))
                .map(|_| std::array::from_fn(|_| AtomicF32::new(0.0)))
                .collect(),
            pushed: AtomicUsize::new(0),
        }
    }

    /// Rows the ring holds at most.
    pub fn capacity(&self) -> usize {
        self.rows.len()
    }

    /// Audio thread: appends one row (wait-free, no allocation).
    pub fn push(&self, row: [f32; COLS]) {
        let pushed = self.pushed.load(Ordering::Relaxed);
        for (cell, value) in self.rows[pushed % self.rows.len()].iter().zip(row) {
            cell.store(value, Ordering::Relaxed);
        }
        self.pushed.store(pushed + 1, Ordering::Release);
    }

    /// Forgets every row (the cells are overwritten by later pushes).
    pub fn clear(&self) {
        self.pushed.store(0, Ordering::Release);
    }

    /// GUI thread: the newest rows, oldest first, at most `max_rows`, into `out` (cleared).
    pub fn read_into(&self, max_rows: usize, out: &mut Vec<[f32; COLS]>) {
        out.clear();
        let pushed = self.pushed.load(Ordering::Acquire);
        let count = pushed.min(self.rows.len()).min(max_rows);
        for index in pushed - count..pushed {
            let row = &self.rows[index % self.rows.len()];
            out.push(std::array::from_fn(|c| row[c].load(Ordering::Relaxed)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_rows_in_order() {
        let history = History::<2>::new(4);
        for n in 0..6 {
            history.push([n as f32, -(n as f32)]);
        }
        let mut rows = Vec::new();
        history.read_into(10, &mut rows);
        assert_eq!(
            rows,
            vec![[2.0, -2.0], [3.0, -3.0], [4.0, -4.0], [5.0, -5.0]]
        );
        history.read_into(2, &mut rows);
        assert_eq!(rows, vec![[4.0, -4.0], [5.0, -5.0]]);
        history.clear();
        history.read_into(10, &mut rows);
        assert!(rows.is_empty());
    }
}
