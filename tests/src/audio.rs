//! The audio-thread side of the host: splitting a signal into blocks, delivering parameter
//! events at their sample positions and calling the plugin's `process`.

use crate::host::TestHost;
use anyhow::{anyhow, bail, Result};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;

/// A parameter change at an exact sample (CLAP `CLAP_EVENT_PARAM_VALUE`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamEvent {
    /// Position in samples from the start of the processed signal.
    pub sample: usize,
    /// CLAP parameter id.
    pub id: u32,
    /// New plain value.
    pub value: f64,
}

/// Events sweeping parameter `id` linearly from `from` to `to` over `num_samples`, one event
/// every `every_samples` samples (sample-accurate automation at audio rate when 1).
pub fn sweep_events(
    id: u32,
    from: f64,
    to: f64,
    num_samples: usize,
    every_samples: usize,
) -> Vec<ParamEvent> {
    let last = num_samples.saturating_sub(1).max(1) as f64;
    (0..num_samples)
        .step_by(every_samples.max(1))
        .map(|sample| ParamEvent {
            sample,
            id,
            value: from + (to - from) * sample as f64 / last,
        })
        .collect()
}

/// Everything one audio thread needs to process one signal through one plugin.
pub(crate) struct AudioJob<'a> {
    /// The started (or startable) processor of the plugin.
    pub processor: &'a mut PluginAudioProcessor<TestHost>,
    /// The signal, one `Vec` per channel, replaced by the output.
    pub audio: &'a mut [Vec<f32>],
    /// What the first auxiliary input port carries (silence when `None`).
    pub aux: Option<&'a [Vec<f32>]>,
    /// Channels of each auxiliary input port (every port gets a buffer, as CLAP requires).
    pub aux_input_channels: &'a [usize],
    /// Block sizes to cycle through.
    pub block_sizes: &'a [usize],
    /// Events sorted by sample.
    pub events: &'a [ParamEvent],
    /// Values to send at sample 0 before `events` (from `set_param` while active).
    pub initial: Vec<(u32, f64)>,
    /// The activation's maximum block size.
    pub max_block: usize,
    /// Channels of the main ports.
    pub num_channels: usize,
    /// `steady_time` of the first frame.
    pub steady_time: u64,
}

impl<'a> AudioJob<'a> {
    /// The job with `aux` on the first auxiliary input port.
    pub fn with_aux(self, aux: &'a [Vec<f32>]) -> Self {
        Self {
            aux: Some(aux),
            ..self
        }
    }

    /// Processes the whole signal; returns the `steady_time` after the last frame.
    pub fn run(self) -> Result<u64> {
        crate::host::mark_audio_thread();
        let num_frames = self.audio.first().map_or(0, Vec::len);
        if self.audio.len() != self.num_channels || self.audio.iter().any(|c| c.len() != num_frames)
        {
            bail!(
                "expected {} channels of equal length, got lengths {:?}",
                self.num_channels,
                self.audio.iter().map(Vec::len).collect::<Vec<_>>()
            );
        }
        if self
            .block_sizes
            .iter()
            .any(|&n| n == 0 || n > self.max_block)
        {
            bail!(
                "block sizes {:?} outside 1..={}",
                self.block_sizes,
                self.max_block
            );
        }
        if !self.events.is_sorted_by_key(|e| e.sample)
            || self.events.last().is_some_and(|e| e.sample >= num_frames)
        {
            bail!("events must be sorted and inside the {num_frames}-frame signal");
        }
        if let Some(aux) = self.aux {
            let wanted = self.aux_input_channels.first().copied().unwrap_or(0);
            if aux.len() != wanted || aux.iter().any(|c| c.len() != num_frames) {
                bail!("the aux input needs {wanted} channels of {num_frames} frames");
            }
        }
        // One scratch per channel of every input port: main first, then the aux ports.
        let port_channels: Vec<usize> = std::iter::once(self.num_channels)
            .chain(self.aux_input_channels.iter().copied())
            .collect();
        let mut inputs: Vec<Vec<Vec<f32>>> = port_channels
            .iter()
            .map(|&n| vec![vec![0.0f32; self.max_block]; n])
            .collect();
        let mut output = vec![vec![0.0f32; self.max_block]; self.num_channels];
        let mut input_ports =
            AudioPorts::with_capacity(port_channels.iter().sum(), port_channels.len());
        let mut output_ports = AudioPorts::with_capacity(self.num_channels, 1);
        let mut events_in = EventBuffer::with_capacity(self.max_block + self.initial.len());
        let mut events_out = EventBuffer::with_capacity(64);
        let processor = self
            .processor
            .ensure_processing_started()
            .map_err(|e| anyhow!("start_processing failed: {e:?}"))?;

        let (mut start, mut block_index, mut next_event) = (0usize, 0usize, 0usize);
        let mut steady_time = self.steady_time;
        while start < num_frames {
            let len =
                self.block_sizes[block_index % self.block_sizes.len()].min(num_frames - start);
            events_in.clear();
            if start == 0 {
                for &(id, value) in &self.initial {
                    events_in.push(&param_event(0, id, value));
                }
            }
            while let Some(e) = self.events.get(next_event) {
                if e.sample >= start + len {
                    break;
                }
                events_in.push(&param_event((e.sample - start) as u32, e.id, e.value));
                next_event += 1;
            }
            for (scratch, channel) in inputs[0].iter_mut().zip(self.audio.iter()) {
                scratch[..len].copy_from_slice(&channel[start..start + len]);
            }
            if let (Some(aux), Some(port)) = (self.aux, inputs.get_mut(1)) {
                for (scratch, channel) in port.iter_mut().zip(aux) {
                    scratch[..len].copy_from_slice(&channel[start..start + len]);
                }
            }
            events_out.clear();
            {
                let audio_in = input_ports.with_input_buffers(inputs.iter_mut().map(|port| {
                    AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_input_only(
                            port.iter_mut()
                                .map(|c| InputChannel::variable(&mut c[..len])),
                        ),
                    }
                }));
                let mut audio_out = output_ports.with_output_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_output_only(
                        output.iter_mut().map(|c| &mut c[..len]),
                    ),
                }]);
                processor
                    .process(
                        &audio_in,
                        &mut audio_out,
                        &events_in.as_input(),
                        &mut events_out.as_output(),
                        Some(steady_time),
                        None,
                    )
                    .map_err(|e| anyhow!("process failed at frame {start}: {e:?}"))?;
            }
            for (channel, scratch) in self.audio.iter_mut().zip(output.iter()) {
                channel[start..start + len].copy_from_slice(&scratch[..len]);
            }
            start += len;
            block_index += 1;
            steady_time += len as u64;
        }
        Ok(steady_time)
    }
}

/// A CLAP parameter value event at block offset `time`, for all notes/ports/channels.
fn param_event(time: u32, id: u32, value: f64) -> ParamValueEvent {
    ParamValueEvent::new(time, ClapId::new(id), Pckn::match_all(), value)
}
