//! What one parameter is: [`ParamSpec`] and its const constructors, one per kind of control.

use super::choice::ChoiceList;

/// The unit a float parameter is shown, typed and stored in; it also fixes the skew and step
/// the constructors give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Decibels (gain, threshold, knee, drive).
    Db,
    /// Decibels true peak (ceilings).
    Dbtp,
    /// Loudness units relative to full scale.
    Lufs,
    /// Hertz, on a logarithmic scale (shown as Hz, then kHz).
    Hz,
    /// Milliseconds, on a logarithmic scale.
    Ms,
    /// A 0…1 mix or link, shown as 0–100 % (session files write 0–100).
    Percent,
    /// A compression ratio `x:1`.
    Ratio,
    /// A filter quality factor (no unit).
    Q,
}

impl Unit {
    /// The suffix hosts show after the number (`""` where the value text carries it).
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Db => " dB",
            Unit::Dbtp => " dBTP",
            Unit::Lufs => " LUFS",
            Unit::Ms => " ms",
            Unit::Percent => "%",
            Unit::Hz | Unit::Ratio | Unit::Q => "",
        }
    }

    /// The unit as documentation and session files name it.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Db => "dB",
            Unit::Dbtp => "dBTP",
            Unit::Lufs => "LUFS",
            Unit::Hz => "Hz",
            Unit::Ms => "ms",
            Unit::Percent => "%",
            Unit::Ratio => "ratio",
            Unit::Q => "Q",
        }
    }

    /// Session-file value per plain value (100 for percentages, else 1).
    pub fn session_scale(self) -> f32 {
        match self {
            Unit::Percent => 100.0,
            _ => 1.0,
        }
    }
}

/// A continuous parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatSpec {
    /// Lowest plain value.
    pub min: f32,
    /// Highest plain value.
    pub max: f32,
    /// Default plain value.
    pub default: f32,
    /// Unit (display, typing, session scale).
    pub unit: Unit,
    /// Skew exponent of the host's normalised scale: 0 = linear; `e` gives nice-plug's
    /// `FloatRange::Skewed` with factor `2^e` (negative = finer at the low end).
    pub skew: f32,
    /// Step of typed and dragged values, if quantised.
    pub step: Option<f32>,
    /// The lowest value means "off" (shown and typed as "Off").
    pub off_at_min: bool,
}

/// An on/off parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwitchSpec {
    /// Default state.
    pub default: bool,
    /// Texts for off and on, when not "Off"/"On".
    pub labels: Option<(&'static str, &'static str)>,
    /// This is the host's bypass switch.
    pub bypass: bool,
}

/// A parameter choosing from a list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChoiceSpec {
    /// Frozen id of each choice (saved states store these).
    pub ids: &'static [&'static str],
    /// Display name of each choice.
    pub names: &'static [&'static str],
    /// Index of the default choice.
    pub default: usize,
}

/// The kind of control, with its range and default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Continuous.
    Float(FloatSpec),
    /// On/off.
    Switch(SwitchSpec),
    /// One of a list.
    Choice(ChoiceSpec),
}

/// One parameter's declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Frozen string id (host state, session key).
    pub id: &'static str,
    /// Display name hosts show.
    pub name: &'static str,
    /// Host group (CLAP module, VST3 unit); empty at the top level.
    pub group: &'static str,
    /// Kind, range and default.
    pub kind: Kind,
    /// The range stem-mastering practice stays in, plain values: the GUI shades it and warns
    /// beyond it.
    pub practice: Option<(f32, f32)>,
    /// A session file sets it (`[stem.strip]` / `[master]` key = id); false for host-only
    /// parameters (bypass, monitoring, the meter's target and the strip's role, which a
    /// session sets elsewhere).
    pub in_session: bool,
}

impl ParamSpec {
    /// A parameter of `kind` at the top level, in sessions, without a practice range.
    const fn new(id: &'static str, name: &'static str, kind: Kind) -> Self {
        Self {
            id,
            name,
            group: "",
            kind,
            practice: None,
            in_session: true,
        }
    }

    /// A float parameter.
    const fn float(
        id: &'static str,
        name: &'static str,
        (default, min, max): (f32, f32, f32),
        unit: Unit,
        skew: f32,
        step: Option<f32>,
    ) -> Self {
        Self::new(
            id,
            name,
            Kind::Float(FloatSpec {
                min,
                max,
                default,
                unit,
                skew,
                step,
                off_at_min: false,
            }),
        )
    }

    /// A dB parameter `min..max` (linear, 0.01 dB steps).
    pub const fn db(
        id: &'static str,
        name: &'static str,
        default: f32,
        min: f32,
        max: f32,
    ) -> Self {
        Self::float(id, name, (default, min, max), Unit::Db, 0.0, Some(0.01))
    }

    /// A frequency parameter on a logarithmic scale.
    pub const fn hz(
        id: &'static str,
        name: &'static str,
        default: f32,
        min: f32,
        max: f32,
    ) -> Self {
        Self::float(id, name, (default, min, max), Unit::Hz, -2.0, None)
    }

    /// A time parameter in ms on a logarithmic scale.
    pub const fn ms(
        id: &'static str,
        name: &'static str,
        default: f32,
        min: f32,
        max: f32,
    ) -> Self {
        Self::float(id, name, (default, min, max), Unit::Ms, -1.5, None)
    }

    /// A 0–100 % parameter stored as 0…1.
    pub const fn percent(id: &'static str, name: &'static str, default_t: f32) -> Self {
        Self::float(id, name, (default_t, 0.0, 1.0), Unit::Percent, 0.0, None)
    }

    /// A compression ratio `1..max_ratio`, finer at the gentle end, 0.01 steps.
    pub const fn ratio(id: &'static str, name: &'static str, default: f32, max_ratio: f32) -> Self {
        Self::float(
            id,
            name,
            (default, 1.0, max_ratio),
            Unit::Ratio,
            -1.5,
            Some(0.01),
        )
    }

    /// A filter Q (0.3–4, logarithmic, 0.01 steps).
    pub const fn q(id: &'static str, name: &'static str, default: f32) -> Self {
        Self::float(id, name, (default, 0.3, 4.0), Unit::Q, -1.0, Some(0.01))
    }

    /// An on/off switch shown as "Off"/"On".
    pub const fn switch(id: &'static str, name: &'static str, default: bool) -> Self {
        Self::new(
            id,
            name,
            Kind::Switch(SwitchSpec {
                default,
                labels: None,
                bypass: false,
            }),
        )
    }

    /// A choice from list `L`, defaulting to its choice number `default`.
    pub const fn choice<L: ChoiceList>(
        id: &'static str,
        name: &'static str,
        default: usize,
    ) -> Self {
        assert!(default < L::CHOICES.ids.len());
        Self::new(
            id,
            name,
            Kind::Choice(ChoiceSpec {
                ids: L::CHOICES.ids,
                names: L::CHOICES.names,
                default,
            }),
        )
    }

    /// The host's bypass switch (not in sessions).
    pub const fn bypass() -> Self {
        Self::new(
            "bypass",
            "Bypass",
            Kind::Switch(SwitchSpec {
                default: false,
                labels: None,
                bypass: true,
            }),
        )
        .not_in_session()
    }

    /// This switch shown as `off` / `on` instead of "Off"/"On".
    pub const fn labelled(mut self, off: &'static str, on: &'static str) -> Self {
        if let Kind::Switch(switch) = &mut self.kind {
            switch.labels = Some((off, on));
        }
        self
    }

    /// This parameter in host group `group`.
    pub const fn in_group(mut self, group: &'static str) -> Self {
        self.group = group;
        self
    }

    /// This parameter with practice range `lo..=hi`.
    pub const fn practice(mut self, lo: f32, hi: f32) -> Self {
        self.practice = Some((lo, hi));
        self
    }

    /// This float parameter shown in `unit` (same scale).
    pub const fn with_unit(mut self, unit: Unit) -> Self {
        if let Kind::Float(float) = &mut self.kind {
            float.unit = unit;
        }
        self
    }

    /// This float parameter quantised to `step`.
    pub const fn with_step(mut self, step: f32) -> Self {
        if let Kind::Float(float) = &mut self.kind {
            float.step = Some(step);
        }
        self
    }

    /// This float parameter's lowest value means "off".
    pub const fn off_at_min(mut self) -> Self {
        if let Kind::Float(float) = &mut self.kind {
            float.off_at_min = true;
        }
        self
    }

    /// A host-only parameter: session files do not set it.
    pub const fn not_in_session(mut self) -> Self {
        self.in_session = false;
        self
    }

    /// The default as a plain value (switches 0/1, choices their index).
    pub fn default_plain(&self) -> f32 {
        match self.kind {
            Kind::Float(f) => f.default,
            Kind::Switch(s) => f32::from(u8::from(s.default)),
            Kind::Choice(c) => c.default as f32,
        }
    }

    /// Lowest and highest plain value.
    pub fn plain_range(&self) -> (f32, f32) {
        match self.kind {
            Kind::Float(f) => (f.min, f.max),
            Kind::Switch(_) => (0.0, 1.0),
            Kind::Choice(c) => (0.0, (c.ids.len() - 1) as f32),
        }
    }

    /// True when the plain value `plain` lies outside the practice range.
    pub fn beyond_practice(&self, plain: f32) -> bool {
        self.practice
            .is_some_and(|(lo, hi)| !(lo..=hi).contains(&plain))
    }
}
