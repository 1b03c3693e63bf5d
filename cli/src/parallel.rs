//! A work queue over scoped threads: independent jobs (stems, deliverables) spread over the
//! cores, results in input order; and a two-stage pipeline of blocks.

use anyhow::{anyhow, Result};
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

/// Blocks in flight between the two sides of a [`pipeline`].
const PIPELINE_DEPTH: usize = 4;

/// Runs `produce` with a sink for planar blocks, and `consume` on every block: on a second
/// thread when `num_threads` > 1 (the blocks are copied over a bounded channel, at most
/// [`PIPELINE_DEPTH`] in flight), else inline. The blocks reach `consume` in order either way.
/// The first error of either side is returned.
pub fn pipeline<R>(
    num_threads: usize,
    mut consume: impl FnMut(&[&[f32]]) -> Result<()> + Send,
    produce: impl FnOnce(&mut dyn FnMut(&[&[f32]]) -> Result<()>) -> Result<R>,
) -> Result<R> {
    if num_threads <= 1 {
        return produce(&mut consume);
    }
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(PIPELINE_DEPTH);
        let consumer = scope.spawn(move || -> Result<()> {
            for block in receiver {
                let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
                consume(&slices)?;
            }
            Ok(())
        });
        let produced = produce(&mut |block| {
            sender
                .send(block.iter().map(|c| c.to_vec()).collect())
                .map_err(|_| anyhow!("the consuming thread stopped"))
        });
        drop(sender);
        let consumed = consumer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The consumer's own error explains a producer that found it gone.
        consumed.and(produced)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_blocks_arrive_in_order_and_errors_come_back() {
        for threads in [1, 2] {
            let mut seen = Vec::new();
            let produced = pipeline(
                threads,
                |block| {
                    seen.push(block[0][0]);
                    Ok(())
                },
                |sink| {
                    for i in 0..100 {
                        sink(&[&[i as f32]])?;
                    }
                    Ok(7)
                },
            )
            .unwrap();
            assert_eq!(produced, 7);
            assert_eq!(seen, (0..100).map(|i| i as f32).collect::<Vec<_>>());
            let err = pipeline(
                threads,
                |block| match block[0][0] {
                    x if x < 50.0 => Ok(()),
                    _ => Err(anyhow!("block 50 refused")),
                },
                |sink| {
                    for i in 0..100 {
                        sink(&[&[i as f32]])?;
                    }
                    Ok(())
                },
            )
            .unwrap_err();
            assert_eq!(err.to_string(), "block 50 refused");
        }
    }

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
