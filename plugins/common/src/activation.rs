//! What both plugins check of the host's activation request before they size anything.

use nice_plug::prelude::BufferConfig;

/// The activation's sample rate in Hz and largest block in frames (at least 1), or `None` when
/// the DSP does not serve that rate ([`shared_dsp::rate`]): the plugin then returns `false` from
/// `activate`, which tells the host the configuration is not supported, instead of running
/// filters it cannot design. The refusal is logged (main thread, not the audio thread).
pub fn supported_config(buffer_config: &BufferConfig) -> Option<(f64, usize)> {
    match shared_dsp::rate::check(f64::from(buffer_config.sample_rate)) {
        Ok(sample_rate_hz) => {
            let max_block = buffer_config.max_buffer_size.max(1) as usize;
            Some((sample_rate_hz, max_block))
        }
        Err(unsupported) => {
            nice_plug::nice_warn!("refusing to activate: {unsupported}");
            None
        }
    }
}
