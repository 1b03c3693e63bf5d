//! [`PluginUnderTest`]: one plugin instance from a built bundle, driven like a DAW drives it.
//!
//! The instance lives on the thread that created it (the CLAP main thread). Activation, state,
//! parameter flushes and the GUI happen there; audio is processed on a separate audio thread
//! spawned for each [`PluginUnderTest::process`] call, as a host's audio engine would.

use crate::audio::{AudioJob, ParamEvent};
use crate::bundles::{find_plugin, load_entry};
use crate::host::{host_info, HostCallbacks, Lifecycle, MainThreadCallbacks, TestHost};
use crate::params::ParamSpec;
use anyhow::{anyhow, bail, Context, Result};
use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::remote_controls::{PluginRemoteControls, RemoteControlsPageBuffer};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::Ordering;

/// Sample rate and block size the plugin is activated with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActiveConfig {
    /// Sample rate in Hz.
    pub sample_rate_hz: f64,
    /// Largest block the host will pass, in frames.
    pub max_block: usize,
}

/// A plugin instance loaded from a bundle, with the convenience API the tests use.
pub struct PluginUnderTest {
    /// The CLAP instance (main-thread object; not `Send`).
    instance: PluginInstance<TestHost>,
    /// The audio processor while active (`None` when inactive).
    processor: Option<PluginAudioProcessor<TestHost>>,
    /// The configuration of the current (or last) activation.
    config: Option<ActiveConfig>,
    /// Channels of the main input and output port.
    num_channels: usize,
    /// Channels of each auxiliary input port (e.g. a sidechain), in port order.
    aux_input_channels: Vec<usize>,
    /// Parameters discovered through the params extension at instantiation.
    params: Vec<ParamSpec>,
    /// Values set with [`Self::set_param`] while active, sent at the start of the next block.
    pending: Vec<(u32, f64)>,
    /// Frames processed since activation (the CLAP `steady_time`).
    steady_time: u64,
    /// How many times the harness restarted the plugin on its request.
    restarts: u32,
}

impl PluginUnderTest {
    /// Finds `plugin_id` among the built bundles, instantiates it with `num_channels` main
    /// input/output channels and activates it.
    pub fn open(
        plugin_id: &str,
        sample_rate_hz: f64,
        max_block: usize,
        num_channels: usize,
    ) -> Result<Self> {
        let bundle = find_plugin(plugin_id)?.bundle;
        Self::new(&bundle, plugin_id, sample_rate_hz, max_block, num_channels)
    }

    /// Instantiates `plugin_id` from `bundle` with `num_channels` channels and activates it.
    pub fn new(
        bundle: &Path,
        plugin_id: &str,
        sample_rate_hz: f64,
        max_block: usize,
        num_channels: usize,
    ) -> Result<Self> {
        let mut plugin = Self::instantiate(bundle, plugin_id, num_channels)?;
        plugin.activate(sample_rate_hz, max_block)?;
        Ok(plugin)
    }

    /// Finds `plugin_id` among the built bundles and instantiates it, inactive.
    pub fn open_inactive(plugin_id: &str, num_channels: usize) -> Result<Self> {
        let bundle = find_plugin(plugin_id)?.bundle;
        Self::instantiate(&bundle, plugin_id, num_channels)
    }

    /// Finds `plugin_id` and instantiates it, inactive, with the named parameters set to
    /// plain values typed in as a host does (see [`Self::typed`]).
    pub fn open_typed(
        plugin_id: &str,
        num_channels: usize,
        setting: &[(&str, f64)],
    ) -> Result<Self> {
        let mut plugin = Self::open_inactive(plugin_id, num_channels)?;
        let values = setting
            .iter()
            .map(|&(name, value)| plugin.typed(name, value))
            .collect::<Result<Vec<_>>>()?;
        plugin.set_params(&values)?;
        Ok(plugin)
    }

    /// Instantiates `plugin_id` from `bundle`, selects the `num_channels` layout (through
    /// audio-ports-config when it is not the default) and reads the parameter list. The
    /// plugin is left inactive: set parameters, load state, then [`Self::activate`].
    pub fn instantiate(bundle: &Path, plugin_id: &str, num_channels: usize) -> Result<Self> {
        let entry = load_entry(bundle)?;
        let id = CString::new(plugin_id)?;
        let instance = PluginInstance::<TestHost>::new(
            |_| HostCallbacks::default(),
            |shared| MainThreadCallbacks::new(shared),
            &entry,
            &id,
            &host_info(),
        )
        .map_err(|e| anyhow!("instantiating {plugin_id}: {e:?}"))?;
        let mut plugin = Self {
            instance,
            processor: None,
            config: None,
            num_channels,
            aux_input_channels: Vec::new(),
            params: Vec::new(),
            pending: Vec::new(),
            steady_time: 0,
            restarts: 0,
        };
        plugin.select_channels(num_channels)?;
        plugin.aux_input_channels = plugin.aux_input_port_channels()?;
        plugin.params = plugin.read_params()?;
        Ok(plugin)
    }

    /// Main input and output channel counts as the audio-ports extension reports them.
    pub fn main_port_channels(&mut self) -> Result<(u32, u32)> {
        let handle = self.instance.plugin_handle();
        let ports: PluginAudioPorts = handle
            .get_extension()
            .context("plugin has no audio-ports extension")?;
        let mut buffer = AudioPortInfoBuffer::new();
        let mut channels = [0u32; 2];
        for (slot, is_input) in channels.iter_mut().zip([true, false]) {
            *slot = ports
                .get(&handle, 0, is_input, &mut buffer)
                .map_or(0, |port| port.channel_count);
        }
        Ok((channels[0], channels[1]))
    }

    /// Channel counts of the input ports after the main one (auxiliary inputs, sidechains).
    fn aux_input_port_channels(&mut self) -> Result<Vec<usize>> {
        let handle = self.instance.plugin_handle();
        let ports: PluginAudioPorts = handle
            .get_extension()
            .context("plugin has no audio-ports extension")?;
        let mut buffer = AudioPortInfoBuffer::new();
        Ok((1..ports.count(&handle, true))
            .filter_map(|index| {
                ports
                    .get(&handle, index, true, &mut buffer)
                    .map(|port| port.channel_count as usize)
            })
            .collect())
    }

    /// Channels of each auxiliary input port, in port order (empty without any).
    pub fn aux_input_channels(&self) -> &[usize] {
        &self.aux_input_channels
    }

    /// Selects the audio-ports configuration whose main input and output have `num_channels`.
    fn select_channels(&mut self, num_channels: usize) -> Result<()> {
        let wanted = u32::try_from(num_channels)?;
        if self.main_port_channels()? == (wanted, wanted) {
            return Ok(());
        }
        {
            let handle = self.instance.plugin_handle();
            let configs: PluginAudioPortsConfig = handle
                .get_extension()
                .context("plugin has no audio-ports-config extension")?;
            let mut buffer = AudioPortsConfigBuffer::new();
            let config_id = (0..configs.count(&handle))
                .find_map(|i| {
                    let c = configs.get(&handle, i, &mut buffer)?;
                    let fits = c.main_input.map(|p| p.channel_count) == Some(wanted)
                        && c.main_output.map(|p| p.channel_count) == Some(wanted);
                    fits.then_some(c.id)
                })
                .with_context(|| format!("no {num_channels}-channel audio ports config"))?;
            configs
                .select(&handle, config_id)
                .map_err(|e| anyhow!("selecting the {num_channels}-channel config: {e:?}"))?;
        }
        let now = self.main_port_channels()?;
        if now != (wanted, wanted) {
            bail!("after selecting {num_channels} channels the ports report {now:?}");
        }
        Ok(())
    }

    /// Reads every parameter's info through the params extension.
    fn read_params(&mut self) -> Result<Vec<ParamSpec>> {
        let handle = self.instance.plugin_handle();
        let Some(params) = handle.get_extension::<PluginParams>() else {
            return Ok(Vec::new());
        };
        let mut buffer = ParamInfoBuffer::new();
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (0..params.count(&handle))
            .map(|index| {
                let info = params
                    .get_info(&handle, index, &mut buffer)
                    .with_context(|| format!("params.get_info({index}) failed"))?;
                Ok(ParamSpec {
                    id: info.id.get(),
                    name: text(info.name),
                    module: text(info.module),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    is_stepped: info.flags.contains(ParamInfoFlags::IS_STEPPED),
                    is_bypass: info.flags.contains(ParamInfoFlags::IS_BYPASS),
                    is_read_only: info.flags.contains(ParamInfoFlags::IS_READONLY),
                    is_hidden: info.flags.contains(ParamInfoFlags::IS_HIDDEN),
                    is_automatable: info.flags.contains(ParamInfoFlags::IS_AUTOMATABLE),
                })
            })
            .collect()
    }

    /// Activates at `sample_rate_hz` with blocks of 1…`max_block` frames and starts
    /// processing state from scratch (`steady_time` 0).
    pub fn activate(&mut self, sample_rate_hz: f64, max_block: usize) -> Result<()> {
        if self.processor.is_some() {
            bail!("activate called on an active plugin");
        }
        let configuration = PluginAudioConfiguration {
            sample_rate: sample_rate_hz,
            min_frames_count: 1,
            max_frames_count: u32::try_from(max_block)?,
        };
        self.callbacks(|c| c.set_lifecycle(Lifecycle::Activating));
        let activated = self.instance.activate(|_, _| (), configuration);
        let lifecycle = match activated {
            Ok(_) => Lifecycle::Active,
            Err(_) => Lifecycle::Inactive,
        };
        self.callbacks(|c| c.set_lifecycle(lifecycle));
        self.check_callbacks()?;
        let stopped = activated
            .map_err(|e| anyhow!("activate at {sample_rate_hz} Hz / {max_block}: {e:?}"))?;
        self.processor = Some(stopped.into());
        self.config = Some(ActiveConfig {
            sample_rate_hz,
            max_block,
        });
        self.steady_time = 0;
        self.poll_main_thread()
    }

    /// Stops processing (on an audio thread, as CLAP requires) and deactivates.
    pub fn deactivate(&mut self) -> Result<()> {
        let Some(mut processor) = self.processor.take() else {
            return Ok(());
        };
        let stopped = std::thread::scope(|s| {
            s.spawn(move || {
                processor.ensure_processing_stopped();
                processor.into_stopped()
            })
            .join()
        })
        .map_err(|_| anyhow!("the audio thread panicked in stop_processing"))?;
        self.instance.deactivate(stopped);
        self.callbacks(|c| c.set_lifecycle(Lifecycle::Inactive));
        Ok(())
    }

    /// `Err` naming the first host callback the CLAP specification forbids that the plugin
    /// made so far (see [`crate::host::Violation`]). Every main-thread poll checks it, so any
    /// test that activates or processes fails on such a callback.
    pub fn check_callbacks(&self) -> Result<()> {
        match self.callbacks(HostCallbacks::first_violation) {
            None => Ok(()),
            Some((violation, lifecycle, count)) => bail!(
                "the plugin made {count} host callback(s) the CLAP specification forbids; the \
                 first: {violation:?} while {lifecycle:?}"
            ),
        }
    }

    /// True between [`Self::activate`] and [`Self::deactivate`].
    pub fn is_active(&self) -> bool {
        self.processor.is_some()
    }

    /// The configuration of the current (or last) activation.
    pub fn config(&self) -> Option<ActiveConfig> {
        self.config
    }

    /// Channels of the main input and output.
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// The parameters discovered at instantiation.
    pub fn params(&self) -> &[ParamSpec] {
        &self.params
    }

    /// The counters and flags of the host callbacks this instance made.
    pub fn callbacks<R>(&self, read: impl FnOnce(&HostCallbacks) -> R) -> R {
        self.instance.access_shared_handler(read)
    }

    /// How many times the plugin asked for, and got, a restart.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// A parameter's current plain value (`params.get_value`).
    pub fn param_value(&mut self, id: u32) -> Option<f64> {
        let handle = self.instance.plugin_handle();
        let params: PluginParams = handle.get_extension()?;
        params.get_value(&handle, ClapId::new(id))
    }

    /// The CLAP value the plugin parses from `text` (`params.text_to_value`), as a host does
    /// for typed-in values: e.g. "6.02" for a trim in dB, "80 Hz", "50%".
    pub fn value_from_text(&mut self, id: u32, text: &str) -> Result<f64> {
        let handle = self.instance.plugin_handle();
        let params: PluginParams = handle
            .get_extension()
            .context("plugin has no params extension")?;
        let c_text = CString::new(text)?;
        params
            .text_to_value(&handle, ClapId::new(id), &c_text)
            .with_context(|| format!("parameter {id} does not parse {text:?}"))
    }

    /// The text the plugin shows for the CLAP `value` of parameter `id` (`params.value_to_text`),
    /// as a host displays or stores it.
    pub fn value_to_text(&mut self, id: u32, value: f64) -> Result<String> {
        let handle = self.instance.plugin_handle();
        let params: PluginParams = handle
            .get_extension()
            .context("plugin has no params extension")?;
        let mut buffer = [0u8; 256];
        let text = params
            .value_to_text(&handle, ClapId::new(id), value, &mut buffer)
            .map_err(|_| anyhow!("parameter {id} has no text for {value}"))?;
        Ok(String::from_utf8_lossy(text)
            .trim_end_matches('\0')
            .to_owned())
    }

    /// The CLAP remote-control pages (`remote_controls.get`): page name and the parameter
    /// ids on it (spacers left out).
    pub fn remote_control_pages(&mut self) -> Vec<(String, Vec<u32>)> {
        let handle = self.instance.plugin_handle();
        let Some(controls) = handle.get_extension::<PluginRemoteControls>() else {
            return Vec::new();
        };
        (0..controls.count(&handle))
            .filter_map(|index| {
                let mut buffer = RemoteControlsPageBuffer::new();
                let page = controls.get(&handle, index, &mut buffer)?;
                let name = String::from_utf8_lossy(page.page_name).into_owned();
                let ids = page.param_ids.iter().flatten().map(|id| id.get()).collect();
                Some((name, ids))
            })
            .collect()
    }

    /// Sets one parameter (plain value). Inactive: flushed to the plugin immediately.
    /// Active: sent as an event at the start of the next processed block.
    pub fn set_param(&mut self, id: u32, value: f64) -> Result<()> {
        self.set_params(&[(id, value)])
    }

    /// Sets several parameters, like [`Self::set_param`].
    pub fn set_params(&mut self, values: &[(u32, f64)]) -> Result<()> {
        if self.is_active() {
            self.pending.extend_from_slice(values);
            return Ok(());
        }
        let mut input = EventBuffer::with_capacity(values.len());
        for &(id, value) in values {
            input.push(&ParamValueEvent::new(
                0,
                ClapId::new(id),
                Pckn::match_all(),
                value,
            ));
        }
        let mut output = EventBuffer::new();
        let mut handle = self
            .instance
            .inactive_plugin_handle()
            .context("the plugin is unexpectedly active")?;
        let params: PluginParams = handle
            .get_extension()
            .context("plugin has no params extension")?;
        params.flush(&mut handle, &input.as_input(), &mut output.as_output());
        self.poll_main_thread()
    }

    /// Processes `audio` (one `Vec` per channel, all the same length) in place on an audio
    /// thread, in blocks whose sizes cycle through `block_sizes`, with `events` (sorted by
    /// sample, positions relative to the start of `audio`) delivered sample-accurately.
    pub fn process(
        &mut self,
        audio: &mut [Vec<f32>],
        block_sizes: &[usize],
        events: &[ParamEvent],
    ) -> Result<()> {
        process_in_parallel(&mut [self], &mut [audio], block_sizes, events)
    }

    /// Like [`Self::process`], with `reference` (one `Vec` per channel, as long as `audio`)
    /// on the first auxiliary input port, as a DAW routes a sidechain. Other auxiliary
    /// ports get silence, as always.
    pub fn process_with_aux(
        &mut self,
        audio: &mut [Vec<f32>],
        reference: &[Vec<f32>],
        block_sizes: &[usize],
        events: &[ParamEvent],
    ) -> Result<()> {
        let job = self.audio_job(audio, block_sizes, events)?;
        let result = std::thread::scope(|s| {
            s.spawn(move || job.with_aux(reference).run())
                .join()
                .unwrap_or_else(|_| Err(anyhow!("the audio thread panicked")))
        });
        self.steady_time = result?;
        self.poll_main_thread()
    }

    /// Like [`Self::process`], but the main thread answers nothing meanwhile or after (no
    /// `on_main_thread`, no restart): what a host whose main thread is busy does. A test can
    /// then deactivate before the plugin's main-thread tasks run.
    pub fn process_unserviced(
        &mut self,
        audio: &mut [Vec<f32>],
        block_sizes: &[usize],
        events: &[ParamEvent],
    ) -> Result<()> {
        let job = self.audio_job(audio, block_sizes, events)?;
        let result = std::thread::scope(|s| {
            s.spawn(move || job.run())
                .join()
                .unwrap_or_else(|_| Err(anyhow!("the audio thread panicked")))
        });
        self.steady_time = result?;
        self.check_callbacks()
    }

    /// The audio-thread job that processes `audio` through this (active) instance.
    fn audio_job<'a>(
        &'a mut self,
        audio: &'a mut [Vec<f32>],
        block_sizes: &'a [usize],
        events: &'a [ParamEvent],
    ) -> Result<AudioJob<'a>> {
        let config = self
            .config
            .context("process called on an inactive plugin")?;
        let processor = self
            .processor
            .as_mut()
            .context("process called on an inactive plugin")?;
        Ok(AudioJob {
            processor,
            audio,
            aux: None,
            aux_input_channels: &self.aux_input_channels,
            block_sizes,
            events,
            initial: std::mem::take(&mut self.pending),
            max_block: config.max_block,
            num_channels: self.num_channels,
            steady_time: self.steady_time,
        })
    }

    /// The latency the plugin reports (`latency.get`), in samples.
    pub fn latency(&mut self) -> Result<u32> {
        let handle = self.instance.plugin_handle();
        let latency: PluginLatency = handle
            .get_extension()
            .context("plugin has no latency extension")?;
        Ok(latency.get(&handle))
    }

    /// The plugin's state (`state.save`) into memory.
    pub fn save_state(&mut self) -> Result<Vec<u8>> {
        let handle = self.instance.plugin_handle();
        let state: PluginState = handle
            .get_extension()
            .context("plugin has no state extension")?;
        let mut bytes = Vec::new();
        state
            .save(&handle, &mut bytes)
            .map_err(|e| anyhow!("state.save failed: {e:?}"))?;
        Ok(bytes)
    }

    /// Loads a state blob (`state.load`); `Err` when the plugin rejects it.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<()> {
        let result = {
            let handle = self.instance.plugin_handle();
            let state: PluginState = handle
                .get_extension()
                .context("plugin has no state extension")?;
            state.load(&handle, &mut &bytes[..])
        };
        self.poll_main_thread()?;
        result.map_err(|e| anyhow!("state.load rejected {} bytes: {e:?}", bytes.len()))
    }

    /// The JSON of the plugin's saved state (nice-plug's CLAP state: a little-endian u64
    /// length, then JSON with `params` and the persisted `fields`).
    pub fn saved_json(&mut self) -> Result<serde_json::Value> {
        state_json(&self.save_state()?)
    }

    /// The persisted field `name` of the saved state, parsed from its JSON string.
    pub fn saved_field(&mut self, name: &str) -> Result<serde_json::Value> {
        let json = self.saved_json()?;
        let text = json["fields"][name]
            .as_str()
            .with_context(|| format!("the saved state has no field {name:?}"))?;
        Ok(serde_json::from_str(text)?)
    }

    /// Sets persisted fields (nice-plug `#[persist]` keys) to `values` through a state round
    /// trip, as a host restoring a project would: each value is stored as its JSON string.
    pub fn set_fields(&mut self, values: &[(&str, serde_json::Value)]) -> Result<()> {
        let mut json = self.saved_json()?;
        for (key, value) in values {
            json["fields"][*key] = serde_json::Value::String(value.to_string());
        }
        let body = serde_json::to_vec(&json)?;
        let mut blob = (body.len() as u64).to_le_bytes().to_vec();
        blob.extend(body);
        self.load_state(&blob)
    }

    /// `(id, CLAP value)` for the parameter named `name` at the plain value `value`, parsed
    /// by the plugin from text as a host does for a typed-in value (nice-plug reports float
    /// parameters normalised to 0…1; switches and enums are their index).
    pub fn typed(&mut self, name: &str, value: f64) -> Result<(u32, f64)> {
        let spec = crate::params::param_named(&self.params, name)
            .with_context(|| format!("no parameter {name:?}"))?
            .clone();
        if spec.is_stepped {
            if !(spec.min..=spec.max).contains(&value) {
                bail!("{name} = {value} is outside {}..={}", spec.min, spec.max);
            }
            return Ok((spec.id, value));
        }
        Ok((spec.id, self.value_from_text(spec.id, &value.to_string())?))
    }

    /// Handles what the plugin asked for since the last poll: runs `on_main_thread` if a
    /// callback was requested and restarts (deactivate, activate with the same configuration)
    /// if a restart was requested while active.
    pub fn poll_main_thread(&mut self) -> Result<()> {
        self.check_callbacks()?;
        let callback = self.callbacks(|c| c.callback_requested.swap(false, Ordering::SeqCst));
        if callback {
            self.instance.call_on_main_thread_callback();
        }
        let restart = self.callbacks(|c| c.restart_requested.swap(false, Ordering::SeqCst));
        if let (true, Some(config)) = (restart && self.is_active(), self.config) {
            self.deactivate()?;
            self.activate(config.sample_rate_hz, config.max_block)?;
            self.restarts += 1;
        }
        self.check_callbacks()
    }

    /// The main-thread handle, for extension calls the convenience API does not cover.
    pub fn main_thread_handle(&mut self) -> PluginMainThreadHandle<'_> {
        self.instance.plugin_handle()
    }
}

/// Splits a nice-plug CLAP state (little-endian u64 length, then JSON) into its JSON.
pub fn state_json(bytes: &[u8]) -> Result<serde_json::Value> {
    let header: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .context("state shorter than its length header")?;
    let len = u64::from_le_bytes(header) as usize;
    let json = bytes
        .get(8..8 + len)
        .context("state shorter than its length says")?;
    Ok(serde_json::from_slice(json)?)
}

/// Processes one signal per plugin, each on its own audio thread, all at the same time
/// (the threads start together behind a barrier). Same arguments as
/// [`PluginUnderTest::process`], shared by every plugin.
pub fn process_in_parallel(
    plugins: &mut [&mut PluginUnderTest],
    audio: &mut [&mut [Vec<f32>]],
    block_sizes: &[usize],
    events: &[ParamEvent],
) -> Result<()> {
    if plugins.len() != audio.len() {
        bail!("{} plugins but {} signals", plugins.len(), audio.len());
    }
    let barrier = std::sync::Barrier::new(plugins.len());
    let mut jobs = Vec::with_capacity(plugins.len());
    let mut instances = Vec::with_capacity(plugins.len());
    for (plugin, audio) in plugins.iter_mut().zip(audio.iter_mut()) {
        let plugin: &mut PluginUnderTest = plugin;
        let PluginUnderTest {
            instance,
            processor,
            config,
            num_channels,
            aux_input_channels,
            pending,
            steady_time,
            ..
        } = plugin;
        let config = config.context("process called on an inactive plugin")?;
        let processor = processor
            .as_mut()
            .context("process called on an inactive plugin")?;
        jobs.push(AudioJob {
            processor,
            audio,
            aux: None,
            aux_input_channels,
            block_sizes,
            events,
            initial: std::mem::take(pending),
            max_block: config.max_block,
            num_channels: *num_channels,
            steady_time: *steady_time,
        });
        instances.push(instance);
    }
    let results: Vec<Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    job.run()
                })
            })
            .collect();
        // Like a DAW, this (main) thread keeps answering the plugins' `request_callback`
        // while their audio threads run, so GUI/parameter tasks are drained as they come.
        while !handles.iter().all(|h| h.is_finished()) {
            service_main_thread(&mut instances);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("the audio thread panicked")))
            })
            .collect()
    });
    for (plugin, result) in plugins.iter_mut().zip(results) {
        plugin.steady_time = result?;
        plugin.poll_main_thread()?;
    }
    Ok(())
}

/// Runs `on_main_thread` for every instance that asked for it with `request_callback`.
fn service_main_thread(instances: &mut [&mut PluginInstance<TestHost>]) {
    for instance in instances {
        let requested =
            instance.access_shared_handler(|c| c.callback_requested.swap(false, Ordering::SeqCst));
        if requested {
            instance.call_on_main_thread_callback();
        }
    }
}

impl Drop for PluginUnderTest {
    fn drop(&mut self) {
        // Deactivating is the host's duty before destroying an instance; a failure here can
        // only come from a panicking audio thread, already reported by `process`.
        let _ = self.deactivate();
    }
}
