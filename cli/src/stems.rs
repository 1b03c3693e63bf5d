//! Reading a session's stems (checked for rate, length and channels) and running each through
//! its Stem Strip, latency-compensated, on one or more threads.

use crate::audio_reader::AudioReader;
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::session::Session;
use anyhow::{bail, Context, Result};
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::sanitize::sanitize_block;
use shared_dsp::strip::{StripChain, StripSettings};
use std::sync::Mutex;

/// Frames per `process_block` call of the offline renders (a typical large host block).
pub const RENDER_BLOCK: usize = 1024;

/// Stereo audio: two channels of equal length.
pub type Stereo = Vec<Vec<f32>>;

/// How to treat stems that do not match.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Convert stems at another sample rate to the session rate.
    pub resample: bool,
    /// Pad shorter stems with silence to the longest.
    pub pad: bool,
}

/// The session's stems, decoded, as stereo at one rate and length.
#[derive(Debug, Clone)]
pub struct LoadedStems {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Frames per stem.
    pub num_frames: usize,
    /// One stereo signal per stem, in session order.
    pub audio: Vec<Stereo>,
}

/// Frames per read from a stem file.
const READ_FRAMES: usize = 1 << 14;

/// One stem being read: decoded block by block, made stereo, converted to the session rate
/// (with `--resample`) and padded with silence past its end.
pub struct StemInput {
    /// The decoder; set by `open_stems`.
    reader: AudioReader,
    /// The converter to the session rate, when the file is at another rate.
    converter: Option<SampleRateConverter>,
    /// Frames of the file; set by `open_stems`.
    file_frames: u64,
    /// The file's frames as read, reused.
    raw: Vec<Vec<f32>>,
    /// Stereo frames ready to hand out (at the session rate).
    pending: Stereo,
    /// The file has been read to its end.
    done: bool,
}

impl StemInput {
    /// Replaces `block` (stereo) with the next `num_frames` frames, silence past the end.
    pub fn read(&mut self, block: &mut [Vec<f32>], num_frames: usize) -> Result<()> {
        while self.pending[0].len() < num_frames && !self.done {
            let n = self.reader.read_block(&mut self.raw, READ_FRAMES)?;
            if self.reader.frames_read() > self.file_frames {
                bail!(
                    "{}: more frames than its header states ({})",
                    self.reader_path(),
                    self.file_frames
                );
            }
            let stereo: [&[f32]; 2] = match self.raw.len() {
                1 => [&self.raw[0][..n], &self.raw[0][..n]],
                _ => [&self.raw[0][..n], &self.raw[1][..n]],
            };
            match &mut self.converter {
                Some(converter) if n > 0 => converter.push(&stereo, &mut self.pending),
                Some(converter) => converter.finish(&mut self.pending),
                None => {
                    for (p, s) in self.pending.iter_mut().zip(stereo) {
                        p.extend_from_slice(s);
                    }
                }
            }
            self.done = n == 0;
        }
        let take = self.pending[0].len().min(num_frames);
        for (out, pending) in block.iter_mut().zip(&mut self.pending) {
            out.clear();
            out.extend(pending.drain(..take));
            out.resize(num_frames, 0.0);
        }
        Ok(())
    }

    /// Reads the file to its end (where the reader reports non-finite samples, and too many
    /// frames): call it after the last block.
    pub fn finish(&mut self) -> Result<()> {
        while !self.done {
            let num_frames = self.pending[0].len() + READ_FRAMES;
            let mut rest = vec![Vec::new(); 2];
            self.read(&mut rest, num_frames)?;
        }
        Ok(())
    }

    fn reader_path(&self) -> String {
        self.reader.path().display().to_string()
    }
}

/// The session's stems, opened and checked, ready to stream at one rate and length.
pub struct OpenStems {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Frames per stem (the longest; shorter ones are padded).
    pub num_frames: usize,
    /// One input per stem, in session order.
    pub inputs: Vec<StemInput>,
}

/// Opens every stem of `session` and checks channels, rate and length before anything is
/// rendered. Errors name the file and what is wrong with it, and say which option would fix
/// it.
pub fn open_stems(session: &Session, options: LoadOptions) -> Result<OpenStems> {
    let mut readers = Vec::new();
    for stem in &session.stems {
        let reader = AudioReader::open(&stem.path)?;
        if !(1..=2).contains(&reader.num_channels()) {
            bail!(
                "{}: {} channels; stems must be mono or stereo",
                stem.path.display(),
                reader.num_channels()
            );
        }
        readers.push(reader);
    }
    let first = &session.stems[0];
    let rate = session
        .sample_rate_hz
        .unwrap_or(readers[0].sample_rate_hz());
    let mut inputs = Vec::new();
    let mut lengths = Vec::new();
    for (stem, reader) in session.stems.iter().zip(readers) {
        let file_rate = reader.sample_rate_hz();
        let file_frames = match reader.num_frames() {
            Some(n) => n,
            None => count_frames(&stem.path)?,
        };
        let converter = if file_rate == rate {
            None
        } else if options.resample {
            let mut converter = SampleRateConverter::new(file_rate, rate, 2)
                .with_context(|| format!("{}: cannot resample", stem.path.display()))?;
            converter.begin(file_frames as usize);
            Some(converter)
        } else {
            let why = match session.sample_rate_hz {
                Some(_) => "sample_rate_hz of the session".to_owned(),
                None => format!("the rate of the first stem, {}", first.path.display()),
            };
            bail!(
                "{}: sample rate {file_rate} Hz, but the session renders at {rate} Hz ({why}); \
                 use --resample to convert it",
                stem.path.display(),
            );
        };
        lengths.push(
            converter
                .as_ref()
                .map_or(file_frames as usize, |c| c.output_len(file_frames as usize)),
        );
        inputs.push(StemInput {
            raw: vec![Vec::new(); reader.num_channels()],
            reader,
            converter,
            file_frames,
            pending: vec![Vec::new(); 2],
            done: false,
        });
    }
    let longest = lengths.iter().copied().max().unwrap_or(0);
    for (stem, &len) in session.stems.iter().zip(&lengths) {
        // Resampling may round the length of a stem by a frame: always pad that.
        let padded = len < longest && (options.pad || (options.resample && longest - len <= 1));
        if len != longest && !padded {
            let seconds = |n: usize| n as f64 / f64::from(rate);
            bail!(
                "{}: {:.3} s ({len} frames), but the longest stem is {:.3} s ({longest} frames); \
                 use --pad to pad shorter stems with silence",
                stem.path.display(),
                seconds(len),
                seconds(longest)
            );
        }
    }
    Ok(OpenStems {
        sample_rate_hz: rate,
        num_frames: longest,
        inputs,
    })
}

/// Frames of a file whose header does not state them, counted by decoding it.
fn count_frames(path: &std::path::Path) -> Result<u64> {
    let mut reader = AudioReader::open(path)?;
    let mut block = vec![Vec::new(); reader.num_channels()];
    while reader.read_block(&mut block, READ_FRAMES)? > 0 {}
    Ok(reader.frames_read())
}

/// Reads every stem of `session` into memory (see [`open_stems`] for the checks).
pub fn load_stems(
    session: &Session,
    options: LoadOptions,
    progress: Progress,
) -> Result<LoadedStems> {
    let stems = open_stems(session, options)?;
    let bar = progress.bar(session.stems.len() as u64, "reading stems");
    let mut audio = Vec::new();
    for mut input in stems.inputs {
        let mut channels = vec![Vec::new(); 2];
        input.read(&mut channels, stems.num_frames)?;
        input.finish()?;
        bar.inc(1);
        audio.push(channels);
    }
    bar.finish_and_clear();
    Ok(LoadedStems {
        sample_rate_hz: stems.sample_rate_hz,
        num_frames: stems.num_frames,
        audio,
    })
}

/// Runs each stem through a Stem Strip with its settings, in place, with the strip's latency
/// removed (the output lines up with the input, as with a host's delay compensation), on up
/// to `num_threads` threads.
pub fn process_strips(
    stems: &mut [Stereo],
    settings: &[StripSettings],
    sample_rate_hz: u32,
    num_threads: usize,
    progress: Progress,
) {
    let total_blocks: usize = stems
        .iter()
        .map(|s| s[0].len().div_ceil(RENDER_BLOCK))
        .sum();
    let bar = progress.bar(total_blocks as u64, "stem strips");
    let jobs: Vec<Mutex<(&mut Stereo, StripSettings)>> = stems
        .iter_mut()
        .zip(settings)
        .map(|(s, &st)| Mutex::new((s, st)))
        .collect();
    parallel_map(&jobs, num_threads, |job| {
        let mut job = job.lock().unwrap_or_else(|e| e.into_inner());
        let (audio, strip) = &mut *job;
        run_strip(audio, *strip, sample_rate_hz, &|| bar.inc(1));
    });
    bar.finish_and_clear();
}

/// One stem through one strip, latency-compensated; `tick` is called once per block.
pub fn run_strip(
    audio: &mut Stereo,
    settings: StripSettings,
    sample_rate_hz: u32,
    tick: &dyn Fn(),
) {
    let len = audio[0].len();
    let input = MemorySource {
        audio: std::mem::take(audio),
        pos: 0,
    };
    let mut stream = StripStream::new(input, settings, sample_rate_hz, len);
    let mut processed = vec![Vec::new(); 2];
    stream
        .next(&mut processed, len, tick)
        .expect("reading memory cannot fail");
    *audio = processed;
}

/// Where a [`StripStream`] reads its stem from.
pub trait StereoSource {
    /// Replaces `block` (stereo) with the next `num_frames` frames, silence past the end.
    fn read(&mut self, block: &mut [Vec<f32>], num_frames: usize) -> Result<()>;
}

impl StereoSource for StemInput {
    fn read(&mut self, block: &mut [Vec<f32>], num_frames: usize) -> Result<()> {
        StemInput::read(self, block, num_frames)
    }
}

/// A stem in memory as a [`StereoSource`].
struct MemorySource {
    /// The stem.
    audio: Stereo,
    /// Frames handed out.
    pos: usize,
}

impl StereoSource for MemorySource {
    fn read(&mut self, block: &mut [Vec<f32>], num_frames: usize) -> Result<()> {
        for (out, channel) in block.iter_mut().zip(&self.audio) {
            let end = (self.pos + num_frames).min(channel.len());
            out.clear();
            out.extend_from_slice(&channel[self.pos.min(end)..end]);
            out.resize(num_frames, 0.0);
        }
        self.pos += num_frames;
        Ok(())
    }
}

/// One stem streamed through its Stem Strip: the input padded with the strip's latency in
/// silence, processed in [`RENDER_BLOCK`]s from the start (the last one cut where the padded
/// input ends), the first latency frames dropped, so the output lines up with the input.
pub struct StripStream<S> {
    /// The stem; set by `new`.
    input: S,
    /// The strip; set by `new`.
    strip: StripChain,
    /// Padded input frames: the stem's frames plus the latency; set by `new`.
    total_frames: usize,
    /// Padded input frames processed so far.
    fed_frames: usize,
    /// Leading output frames (the latency) still to drop.
    skip_frames: usize,
    /// One block of the strip, reused.
    block: Stereo,
    /// Processed, aligned frames not yet handed out.
    ready: Stereo,
}

impl<S: StereoSource> StripStream<S> {
    /// Streams `num_frames` frames of `input` through a strip with `settings`.
    pub fn new(input: S, settings: StripSettings, sample_rate_hz: u32, num_frames: usize) -> Self {
        let mut strip = StripChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
        strip.set_settings(settings);
        strip.reset();
        let latency = strip.latency_samples();
        Self {
            input,
            strip,
            total_frames: num_frames + latency,
            fed_frames: 0,
            skip_frames: latency,
            block: (0..2).map(|_| Vec::with_capacity(RENDER_BLOCK)).collect(),
            ready: vec![Vec::new(); 2],
        }
    }

    /// The stem's source.
    pub fn input_mut(&mut self) -> &mut S {
        &mut self.input
    }

    /// Replaces `out` (stereo) with the next `num_frames` processed frames; `tick` is called
    /// once per strip block.
    pub fn next(&mut self, out: &mut [Vec<f32>], num_frames: usize, tick: &dyn Fn()) -> Result<()> {
        while self.ready[0].len() < num_frames && self.fed_frames < self.total_frames {
            let n = RENDER_BLOCK.min(self.total_frames - self.fed_frames);
            self.input.read(&mut self.block, n)?;
            let (left, right) = self.block.split_at_mut(1);
            let mut channels = [&mut left[0][..], &mut right[0][..]];
            // As the Stem Strip plugin does before its strip (files with non-finite samples
            // are refused when read).
            sanitize_block(&mut channels);
            self.strip.process_block(&mut channels);
            self.fed_frames += n;
            let skip = self.skip_frames.min(n);
            self.skip_frames -= skip;
            for (ready, block) in self.ready.iter_mut().zip(&self.block) {
                ready.extend_from_slice(&block[skip..]);
            }
            tick();
        }
        let take = self.ready[0].len().min(num_frames);
        for (out, ready) in out.iter_mut().zip(&mut self.ready) {
            out.clear();
            out.extend(ready.drain(..take));
        }
        Ok(())
    }
}
