//! A work queue over scoped threads: independent jobs (stems, deliverables) spread over the
//! cores, results in input order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `items.map(f)` on up to `num_threads` threads; results in the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    num_threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..num_threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                let result = f(item);
                *results[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u32> = (0..50).collect();
        for threads in [1, 2, 7] {
            assert_eq!(
                parallel_map(&items, threads, |x| x * 2),
                (0..50).map(|x| x * 2).collect::<Vec<_>>()
            );
        }
    }
}
