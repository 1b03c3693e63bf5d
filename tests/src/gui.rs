//! What the harness exercises of the CLAP gui extension.
//!
//! Headless (no `DISPLAY`) it asks which window APIs are supported, the preferred API and the
//! editor size. With an X server it also creates the embedded (non-floating) X11 editor, reads
//! its size and destroys it. Attaching to a parent window (`set_parent`/`show`) is not
//! exercised: that needs a host-owned X11 window, and the GUI screenshots of the standalone
//! builds under Xvfb already cover drawing.

use crate::PluginUnderTest;
use anyhow::{anyhow, Context, Result};
use clack_extensions::gui::{GuiApiType, GuiConfiguration, PluginGui};

/// What the gui extension answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuiReport {
    /// `is_api_supported("x11", floating = false)`.
    pub x11_embedded_supported: bool,
    /// `is_api_supported("x11", floating = true)`.
    pub x11_floating_supported: bool,
    /// The API `get_preferred_api` names, if any.
    pub preferred_api: Option<String>,
    /// `get_size` before creating the editor, in pixels.
    pub size_before_create: Option<(u32, u32)>,
    /// `get_size` after `create`, when the editor was created.
    pub size_after_create: Option<(u32, u32)>,
}

/// The embedded X11 configuration.
const X11_EMBEDDED: GuiConfiguration<'static> = GuiConfiguration {
    api_type: GuiApiType::X11,
    is_floating: false,
};

impl PluginUnderTest {
    /// Queries the gui extension; with `create` also creates, sizes and destroys the embedded
    /// X11 editor (only call it with an X server).
    pub fn gui_check(&mut self, create: bool) -> Result<GuiReport> {
        let handle = self.main_thread_handle();
        let gui: PluginGui = handle
            .get_extension()
            .context("plugin has no gui extension")?;
        let size = |s: Option<clack_extensions::gui::GuiSize>| s.map(|s| (s.width, s.height));
        let mut report = GuiReport {
            x11_embedded_supported: gui.is_api_supported(&handle, X11_EMBEDDED),
            x11_floating_supported: gui.is_api_supported(
                &handle,
                GuiConfiguration {
                    is_floating: true,
                    ..X11_EMBEDDED
                },
            ),
            preferred_api: gui
                .get_preferred_api(&handle)
                .map(|c| c.api_type.0.to_string_lossy().into_owned()),
            size_before_create: size(gui.get_size(&handle)),
            size_after_create: None,
        };
        if create && report.x11_embedded_supported {
            gui.create(&handle, X11_EMBEDDED)
                .map_err(|e| anyhow!("gui.create(x11) failed: {e:?}"))?;
            report.size_after_create = size(gui.get_size(&handle));
            gui.destroy(&handle);
        }
        Ok(report)
    }
}
