//! The null test's inputs: decoded audio in memory ([`Input`], the demo's), or files opened,
//! checked and decoded to disk ([`open_files`]), each described by an [`InputInfo`].

use super::BadInput;
use crate::audio_file::Audio;
use crate::audio_reader::AudioReader;
use crate::progress::Progress;
use crate::spill::SpillDir;
use crate::spilled_track::SpilledTrack;
use shared_dsp::null_test::Track;
use std::path::{Path, PathBuf};

/// Sample rates the analysis accepts, Hz (the offset search allocates one second either way).
const SAMPLE_RATE_RANGE_HZ: std::ops::RangeInclusive<u32> = 8_000..=384_000;

/// One decoded input file, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The file as given on the command line.
    pub file: String,
    /// Its decoded audio.
    pub audio: Audio,
}

impl Input {
    /// What the result needs to know of it.
    pub fn info(&self) -> InputInfo {
        InputInfo {
            format: Format {
                file: self.file.clone(),
                sample_rate_hz: self.audio.sample_rate_hz,
                num_channels: self.audio.channels.len(),
            },
            num_frames: self.audio.num_frames(),
            silent: self.audio.channels.iter().flatten().all(|&s| s == 0.0),
        }
    }
}

/// What the compatibility check reads of an input (known once the file is open).
#[derive(Debug, Clone, PartialEq)]
pub struct Format {
    /// The file as given on the command line.
    pub file: String,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub num_channels: usize,
}

/// What the result needs to know of an input besides its samples (known once it is decoded).
#[derive(Debug, Clone, PartialEq)]
pub struct InputInfo {
    /// File, rate and channels.
    pub format: Format,
    /// Length, frames.
    pub num_frames: usize,
    /// Every sample is zero.
    pub silent: bool,
}

impl InputInfo {
    /// Duration, s.
    pub fn duration_s(&self) -> f64 {
        self.num_frames as f64 / f64::from(self.format.sample_rate_hz.max(1))
    }
}

/// Checks the mix's sample rate and that every stem has the mix's sample rate and channel
/// count: one message per problem, each naming the file.
pub fn check_compatible(mix: &Format, stems: &[Format]) -> Result<(), BadInput> {
    let mut problems = Vec::new();
    let rate = mix.sample_rate_hz;
    let num_channels = mix.num_channels;
    if !SAMPLE_RATE_RANGE_HZ.contains(&rate) {
        problems.push(format!(
            "{}: sample rate {rate} Hz is outside {} Hz to {} Hz",
            mix.file,
            SAMPLE_RATE_RANGE_HZ.start(),
            SAMPLE_RATE_RANGE_HZ.end()
        ));
    }
    for stem in stems {
        if stem.sample_rate_hz != rate {
            problems.push(format!(
                "{}: sample rate {} Hz does not match the mix ({}: {rate} Hz)",
                stem.file, stem.sample_rate_hz, mix.file
            ));
        }
        if stem.num_channels != num_channels {
            problems.push(format!(
                "{}: {} channel(s) does not match the mix ({}: {num_channels} channel(s))",
                stem.file, stem.num_channels, mix.file
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(BadInput(problems))
    }
}

/// The mix and the stems decoded to disk, with their descriptions.
pub struct DecodedFiles {
    /// The mix.
    pub mix: (InputInfo, SpilledTrack),
    /// The stems, in the order given.
    pub stems: Vec<(InputInfo, SpilledTrack)>,
    /// The spill folder holding the decoded samples (removed when dropped, after the tracks).
    _spills: SpillDir,
}

/// Opens the mix and the stems, checks that they can be compared (every problem reported,
/// each naming its file, before anything is decoded), then decodes each into a spill folder
/// in the system's temporary folder, one file after another, so memory does not grow with
/// their length.
pub fn open_files(
    mix: &Path,
    stems: &[PathBuf],
    progress: Progress,
) -> Result<DecodedFiles, BadInput> {
    let mut problems = Vec::new();
    let mut open = |path: &Path| match AudioReader::open(path) {
        Ok(reader) => Some(reader),
        Err(error) => {
            problems.push(format!("{error:#}"));
            None
        }
    };
    let mix_reader = open(mix);
    let stem_readers: Vec<Option<AudioReader>> = stems.iter().map(|p| open(p)).collect();
    let format = |reader: &AudioReader| Format {
        file: reader.path().display().to_string(),
        sample_rate_hz: reader.sample_rate_hz(),
        num_channels: reader.num_channels(),
    };
    if let Some(mix_reader) = &mix_reader {
        let stem_formats: Vec<Format> = stem_readers.iter().flatten().map(format).collect();
        if let Err(BadInput(more)) = check_compatible(&format(mix_reader), &stem_formats) {
            problems.extend(more);
        }
    }
    let Some(mix_reader) = mix_reader.filter(|_| problems.is_empty()) else {
        return Err(BadInput(problems));
    };
    if stems.is_empty() {
        return Err(BadInput(
            vec!["no stems to compare with the mix".to_owned()],
        ));
    }
    let bad = |error: anyhow::Error| BadInput(vec![format!("{error:#}")]);
    let spills = SpillDir::new(&std::env::temp_dir()).map_err(bad)?;
    let readers: Vec<AudioReader> = std::iter::once(mix_reader)
        .chain(stem_readers.into_iter().flatten())
        .collect();
    let total_frames: u64 = readers.iter().filter_map(AudioReader::num_frames).sum();
    let bar = progress.bar(total_frames, "decoding the mix and the stems");
    let mut decoded = Vec::with_capacity(readers.len());
    for (i, reader) in readers.into_iter().enumerate() {
        let format = format(&reader);
        let track = SpilledTrack::decode(reader, &spills, &format!("input-{i}"), |n| {
            bar.inc(n as u64)
        })
        .map_err(bad)?;
        let info = InputInfo {
            format,
            num_frames: track.num_samples(),
            silent: track.is_silent(),
        };
        decoded.push((info, track));
    }
    bar.finish_and_clear();
    let mut decoded = decoded.into_iter();
    let mix = decoded.next().expect("the mix was decoded first");
    Ok(DecodedFiles {
        mix,
        stems: decoded.collect(),
        _spills: spills,
    })
}
