//! Splitting host blocks into chunks no longer than the size processors were allocated for.

/// Most channels a plugin path carries (stereo).
pub const MAX_PATH_CHANNELS: usize = 2;

/// Calls `f` on consecutive chunks of at most `max_frames` frames of `channels` (at most
/// [`MAX_PATH_CHANNELS`] channels are passed on). Never allocates.
pub fn for_each_chunk(
    channels: &mut [&mut [f32]],
    max_frames: usize,
    mut f: impl FnMut(&mut [&mut [f32]]),
) {
    let num_frames = channels.first().map_or(0, |c| c.len());
    let num_channels = channels.len().min(MAX_PATH_CHANNELS);
    let max_frames = max_frames.max(1);
    let mut start = 0;
    while start < num_frames {
        let end = (start + max_frames).min(num_frames);
        let mut chunk: [&mut [f32]; MAX_PATH_CHANNELS] = [&mut [], &mut []];
        for (slot, ch) in chunk.iter_mut().zip(channels.iter_mut()) {
            *slot = &mut ch[start..end];
        }
        f(&mut chunk[..num_channels]);
        start = end;
    }
}

/// Runs `f` on the (at most [`MAX_PATH_CHANNELS`]) channels of a block as shared slices,
/// e.g. to meter a block that is processed in place. Never allocates.
pub fn with_shared<R>(channels: &[&mut [f32]], f: impl FnOnce(&[&[f32]]) -> R) -> R {
    let mut shared: [&[f32]; MAX_PATH_CHANNELS] = [&[], &[]];
    for (slot, channel) in shared.iter_mut().zip(channels.iter()) {
        *slot = channel;
    }
    f(&shared[..channels.len().min(MAX_PATH_CHANNELS)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_every_frame_once_in_order() {
        let mut l: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut r = l.clone();
        let mut seen = Vec::new();
        for_each_chunk(&mut [&mut l, &mut r], 4, |chunk| {
            assert!(chunk[0].len() <= 4);
            seen.extend_from_slice(chunk[0]);
            chunk[1].iter_mut().for_each(|s| *s = -*s);
        });
        assert_eq!(seen, (0..10).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(r[9], -9.0);
    }
}
