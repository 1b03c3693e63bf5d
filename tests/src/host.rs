//! The host side of the CLAP connection: the callbacks a plugin may call and the extensions
//! the harness offers (log, latency, params, state, gui, audio-ports).
//!
//! Every callback only records what happened in atomics, so it is safe from any thread and
//! never allocates (a plugin may log from its audio thread). [`crate::PluginUnderTest`] reads
//! the flags on the main thread and reacts like a real host: it runs requested main-thread
//! callbacks and restarts (deactivate + activate) the plugin when asked.

use clack_extensions::audio_ports::{AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl};
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_extensions::latency::{HostLatency, HostLatencyImpl};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
};
use clack_extensions::state::{HostState, HostStateImpl};
use clack_host::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// What the plugin asked of the host, shared by all threads (the CLAP `[thread-safe]` side).
#[derive(Debug, Default)]
pub struct HostCallbacks {
    /// Set by `request_restart`; cleared when the harness restarts the plugin.
    pub restart_requested: AtomicBool,
    /// Set by `request_process`; the harness processes on demand, so it only records it.
    pub process_requested: AtomicBool,
    /// Set by `request_callback`; cleared when the harness runs `on_main_thread`.
    pub callback_requested: AtomicBool,
    /// Set by `params.request_flush`.
    pub flush_requested: AtomicBool,
    /// Number of `latency.changed` calls.
    pub latency_changes: AtomicU32,
    /// Number of `params.rescan` calls.
    pub params_rescans: AtomicU32,
    /// Number of `params.clear` calls.
    pub params_clears: AtomicU32,
    /// Number of `state.mark_dirty` calls.
    pub state_marked_dirty: AtomicU32,
    /// Number of `audio_ports.rescan` calls.
    pub audio_ports_rescans: AtomicU32,
    /// Number of log messages of any severity.
    pub log_messages: AtomicU32,
    /// Number of log messages with severity error, fatal or host/plugin misbehaving.
    pub log_errors: AtomicU32,
    /// Number of GUI `request_resize`/`request_show`/`request_hide`/`resize_hints_changed` calls.
    pub gui_requests: AtomicU32,
    /// Number of GUI `closed` notifications.
    pub gui_closed: AtomicU32,
}

impl HostCallbacks {
    /// Adds one to a counter.
    fn bump(counter: &AtomicU32) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl SharedHandler<'_> for HostCallbacks {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }

    fn request_process(&self) {
        self.process_requested.store(true, Ordering::SeqCst);
    }

    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostLogImpl for HostCallbacks {
    fn log(&self, severity: LogSeverity, message: &str) {
        Self::bump(&self.log_messages);
        if !matches!(
            severity,
            LogSeverity::Debug | LogSeverity::Info | LogSeverity::Warning
        ) {
            Self::bump(&self.log_errors);
        }
        // Formatting a `&str` into unbuffered stderr does not allocate, so this is safe even
        // when a plugin logs from inside its allocation-checked `process`.
        eprintln!("[plugin log {severity:?}] {message}");
    }
}

impl HostParamsImplShared for HostCallbacks {
    fn request_flush(&self) {
        self.flush_requested.store(true, Ordering::SeqCst);
    }
}

impl HostGuiImpl for HostCallbacks {
    fn resize_hints_changed(&self) {
        Self::bump(&self.gui_requests);
    }

    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        Self::bump(&self.gui_requests);
        Ok(())
    }

    fn request_show(&self) -> Result<(), HostError> {
        Self::bump(&self.gui_requests);
        Ok(())
    }

    fn request_hide(&self) -> Result<(), HostError> {
        Self::bump(&self.gui_requests);
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {
        Self::bump(&self.gui_closed);
    }
}

/// The `[main-thread]` side of the host: forwards everything to the shared counters.
pub struct MainThreadCallbacks<'a> {
    /// The shared counters this handler records into.
    shared: &'a HostCallbacks,
}

impl<'a> MainThreadCallbacks<'a> {
    /// A handler recording into `shared`.
    pub fn new(shared: &'a HostCallbacks) -> Self {
        Self { shared }
    }
}

impl<'a> MainThreadHandler<'a> for MainThreadCallbacks<'a> {}

impl HostLatencyImpl for MainThreadCallbacks<'_> {
    fn changed(&self) {
        HostCallbacks::bump(&self.shared.latency_changes);
    }
}

impl HostParamsImplMainThread for MainThreadCallbacks<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        HostCallbacks::bump(&self.shared.params_rescans);
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {
        HostCallbacks::bump(&self.shared.params_clears);
    }
}

impl HostStateImpl for MainThreadCallbacks<'_> {
    fn mark_dirty(&self) {
        HostCallbacks::bump(&self.shared.state_marked_dirty);
    }
}

impl HostAudioPortsImpl for MainThreadCallbacks<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        true
    }

    fn rescan(&self, _flags: AudioPortRescanFlags) {
        HostCallbacks::bump(&self.shared.audio_ports_rescans);
    }
}

/// The harness's host type: which handler lives on which CLAP thread, and which extensions the
/// host offers the plugin.
pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = HostCallbacks;
    type MainThread<'a> = MainThreadCallbacks<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostLatency>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostGui>()
            .register::<HostAudioPorts>();
    }
}

/// The identity this host reports to plugins.
pub fn host_info() -> HostInfo {
    HostInfo::new(
        "Stemwise Test Host",
        "Stemwise",
        "https://stemwise.audio",
        env!("CARGO_PKG_VERSION"),
    )
    .expect("host info strings contain no NUL byte")
}
