//! The host side of the CLAP connection: the callbacks a plugin may call and the extensions
//! the harness offers (log, latency, params, state, gui, audio-ports).
//!
//! Every callback only records what happened in atomics, so it is safe from any thread and
//! never allocates (a plugin may log from its audio thread). The host also knows where the
//! plugin is in its lifecycle (set by the harness around `activate`/`deactivate`) and which
//! thread is the main thread, and records any callback the CLAP specification forbids in that
//! state ([`Violation`]); the harness fails the test at its next main-thread poll. [`crate::PluginUnderTest`] reads
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
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::thread::ThreadId;

thread_local! {
    /// True on the harness's audio threads (set by the audio job before it processes).
    static ON_AUDIO_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one of the host's audio threads (CLAP `[audio-thread]`).
pub fn mark_audio_thread() {
    ON_AUDIO_THREAD.with(|flag| flag.set(true));
}

/// Where the plugin is in its CLAP lifecycle, as the host drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Lifecycle {
    /// Created or deactivated.
    Inactive = 0,
    /// Inside `clap_plugin::activate`.
    Activating = 1,
    /// Between a successful `activate` and `deactivate` (processing or not).
    Active = 2,
}

impl Lifecycle {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Activating,
            2 => Self::Active,
            _ => Self::Inactive,
        }
    }
}

/// A host callback the CLAP specification forbids in the state the plugin made it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Violation {
    /// `latency.changed` outside `activate` (latency.h: `[main-thread & being-activated]`).
    LatencyChangedOutsideActivate = 1,
    /// `params.rescan(CLAP_PARAM_RESCAN_ALL)` while active (params.h: only while deactivated).
    ParamsRescanAllWhileActive = 2,
    /// `audio_ports.rescan` with a flag other than names while active (audio-ports.h).
    AudioPortsRescanWhileActive = 3,
    /// A `[main-thread]` callback from another thread.
    MainThreadCallbackOffMainThread = 4,
    /// `params.request_flush` from the audio thread (params.h: `[thread-safe,!audio-thread]`).
    RequestFlushOnAudioThread = 5,
}

impl Violation {
    fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::LatencyChangedOutsideActivate,
            2 => Self::ParamsRescanAllWhileActive,
            3 => Self::AudioPortsRescanWhileActive,
            4 => Self::MainThreadCallbackOffMainThread,
            5 => Self::RequestFlushOnAudioThread,
            _ => return None,
        })
    }
}

/// What the plugin asked of the host, shared by all threads (the CLAP `[thread-safe]` side).
#[derive(Debug)]
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
    /// The plugin's lifecycle state ([`Lifecycle`]), set by the harness around activation.
    lifecycle: AtomicU8,
    /// The first forbidden callback ([`Violation`] code, 0 = none), with the lifecycle state it
    /// came in as `code | state << 4`.
    first_violation: AtomicU8,
    /// Number of forbidden callbacks.
    pub violations: AtomicU32,
    /// The thread that created the instance: the CLAP main thread.
    main_thread: ThreadId,
}

impl HostCallbacks {
    /// The callbacks of an instance created on the calling (main) thread.
    pub fn new() -> Self {
        Self {
            restart_requested: AtomicBool::default(),
            process_requested: AtomicBool::default(),
            callback_requested: AtomicBool::default(),
            flush_requested: AtomicBool::default(),
            latency_changes: AtomicU32::default(),
            params_rescans: AtomicU32::default(),
            params_clears: AtomicU32::default(),
            state_marked_dirty: AtomicU32::default(),
            audio_ports_rescans: AtomicU32::default(),
            log_messages: AtomicU32::default(),
            log_errors: AtomicU32::default(),
            gui_requests: AtomicU32::default(),
            gui_closed: AtomicU32::default(),
            lifecycle: AtomicU8::new(Lifecycle::Inactive as u8),
            first_violation: AtomicU8::new(0),
            violations: AtomicU32::default(),
            main_thread: std::thread::current().id(),
        }
    }

    /// Adds one to a counter.
    fn bump(counter: &AtomicU32) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the plugin's lifecycle state (the harness calls this around activation).
    pub fn set_lifecycle(&self, state: Lifecycle) {
        self.lifecycle.store(state as u8, Ordering::SeqCst);
    }

    /// The lifecycle state the harness last recorded.
    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle::from_u8(self.lifecycle.load(Ordering::SeqCst))
    }

    /// Records a forbidden callback (never allocates: callable from the audio thread).
    fn violate(&self, violation: Violation) {
        let code = violation as u8 | (self.lifecycle.load(Ordering::SeqCst) << 4);
        let _ = self
            .first_violation
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        Self::bump(&self.violations);
    }

    /// Records a violation unless called on the main thread.
    fn require_main_thread(&self) {
        if std::thread::current().id() != self.main_thread {
            self.violate(Violation::MainThreadCallbackOffMainThread);
        }
    }

    /// The first forbidden callback and the state it came in, with the number of them.
    pub fn first_violation(&self) -> Option<(Violation, Lifecycle, u32)> {
        let code = self.first_violation.load(Ordering::SeqCst);
        let violation = Violation::from_u8(code & 0x0f)?;
        let count = self.violations.load(Ordering::SeqCst);
        Some((violation, Lifecycle::from_u8(code >> 4), count))
    }
}

impl Default for HostCallbacks {
    fn default() -> Self {
        Self::new()
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
        if ON_AUDIO_THREAD.with(Cell::get) {
            self.violate(Violation::RequestFlushOnAudioThread);
        }
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
        self.shared.require_main_thread();
        if self.shared.lifecycle() != Lifecycle::Activating {
            self.shared
                .violate(Violation::LatencyChangedOutsideActivate);
        }
        HostCallbacks::bump(&self.shared.latency_changes);
    }
}

impl HostParamsImplMainThread for MainThreadCallbacks<'_> {
    fn rescan(&self, flags: ParamRescanFlags) {
        self.shared.require_main_thread();
        if flags.contains(ParamRescanFlags::ALL) && self.shared.lifecycle() != Lifecycle::Inactive {
            self.shared.violate(Violation::ParamsRescanAllWhileActive);
        }
        HostCallbacks::bump(&self.shared.params_rescans);
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {
        self.shared.require_main_thread();
        HostCallbacks::bump(&self.shared.params_clears);
    }
}

impl HostStateImpl for MainThreadCallbacks<'_> {
    fn mark_dirty(&self) {
        self.shared.require_main_thread();
        HostCallbacks::bump(&self.shared.state_marked_dirty);
    }
}

impl HostAudioPortsImpl for MainThreadCallbacks<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        true
    }

    fn rescan(&self, flags: AudioPortRescanFlags) {
        self.shared.require_main_thread();
        let names_only = flags.difference(AudioPortRescanFlags::NAMES).is_empty();
        if !names_only && self.shared.lifecycle() != Lifecycle::Inactive {
            self.shared.violate(Violation::AudioPortsRescanWhileActive);
        }
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
