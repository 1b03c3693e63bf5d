//! Block-wise decoding of audio files, so a file of any length is read in bounded memory.
//!
//! [`AudioReader`] decodes WAV (RIFF, and RF64/BW64 through [`crate::rf64`]), AIFF and FLAC
//! (any PCM or float format symphonia supports) one packet at a time and hands out planar
//! `f32` blocks of whatever size the caller asks for. Only the current packet is held (a few
//! thousand frames), so memory does not grow with the file's length. [`crate::audio_file::read_audio`] is this reader collecting every block.

use crate::rf64::{parse_layout, Rf64Source};
use anyhow::{anyhow, bail, Context, Result};
use std::fs::File;
use std::io::Seek;
use std::path::{Path, PathBuf};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

/// A decoder positioned somewhere in one audio file.
pub struct AudioReader {
    /// The file, for error messages; set by `open`.
    path: PathBuf,
    /// The container demuxer; set by `open`.
    format: Box<dyn FormatReader>,
    /// The codec decoder of the audio track; set by `open`.
    decoder: Box<dyn AudioDecoder>,
    /// Id of the decoded track (packets of other tracks are skipped); set by `open`.
    track_id: u32,
    /// Sample rate of the track, Hz (from the first decoded packet).
    sample_rate_hz: u32,
    /// The last decoded packet, planar; refilled by `next_packet`.
    packet: Vec<Vec<f32>>,
    /// Frames of `packet` already handed out.
    packet_pos_frames: usize,
    /// Frames handed out since `open`.
    frames_read: u64,
    /// Non-finite samples seen so far, per channel: (count, first frame).
    non_finite: Vec<(u64, Option<u64>)>,
    /// The demuxer has reported the end of the file, or `frame_limit` is reached.
    at_end: bool,
    /// Frames in the file when the container says and the demuxer cannot be trusted to stop
    /// there (RF64: see [`crate::rf64`]); set by `open`.
    frame_limit: Option<u64>,
    /// Frames decoded since `open`, handed out or not.
    frames_decoded: u64,
    /// Frames in the file as its header says (`None`: not stated); set by `open`.
    num_frames: Option<u64>,
}

impl AudioReader {
    /// Opens `path` and decodes its first packet. Errors name the file and the problem:
    /// missing, not audio, no audio track, unsupported codec, corrupt data or no samples.
    pub fn open(path: &Path) -> Result<Self> {
        let mut file =
            File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let layout = parse_layout(&mut file).map_err(|e| anyhow!("{}: {e:#}", path.display()))?;
        let frame_limit = layout.map(|l| l.num_frames());
        let source: Box<dyn MediaSource> = match layout {
            Some(layout) => Box::new(Rf64Source::new(file, layout)?),
            None => {
                file.rewind()?;
                Box::new(file)
            }
        };
        let stream = MediaSourceStream::new(source, Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| decode_error(path, e, "not a supported audio file (WAV, AIFF or FLAC)"))?;
        let track = format
            .default_track(TrackType::Audio)
            .with_context(|| format!("{}: contains no audio track", path.display()))?;
        let track_id = track.id;
        let num_frames = frame_limit.or(track.num_frames);
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .with_context(|| format!("{}: audio track has no codec parameters", path.display()))?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| decode_error(path, e, "unsupported audio codec"))?;
        let mut reader = Self {
            path: path.to_owned(),
            format,
            decoder,
            track_id,
            sample_rate_hz: 0,
            packet: Vec::new(),
            packet_pos_frames: 0,
            frames_read: 0,
            non_finite: Vec::new(),
            at_end: frame_limit == Some(0),
            frame_limit,
            frames_decoded: 0,
            num_frames,
        };
        if !reader.next_packet()? {
            bail!("{}: contains no audio samples", path.display());
        }
        reader.non_finite = vec![(0, None); reader.packet.len()];
        Ok(reader)
    }

    /// Sample rate, Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.packet.len()
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames in the file as its header states them (`None` when it does not).
    pub fn num_frames(&self) -> Option<u64> {
        self.num_frames
    }

    /// Frames handed out so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// Replaces the contents of `block` (one vector per channel; extra vectors are left
    /// empty) with the next frames of the file, at most `max_frames` of them, and returns how
    /// many; 0 means the end of the file. At the end, a file that contained NaN or infinite
    /// samples is an error naming the first one (the samples were handed out before: callers
    /// discard their results on an error).
    ///
    /// # Panics
    /// If `block` has fewer vectors than [`Self::num_channels`].
    pub fn read_block(&mut self, block: &mut [Vec<f32>], max_frames: usize) -> Result<usize> {
        assert!(block.len() >= self.num_channels(), "one vector per channel");
        block.iter_mut().for_each(Vec::clear);
        let mut num_frames = 0;
        while num_frames < max_frames {
            let available = self.packet.first().map_or(0, Vec::len) - self.packet_pos_frames;
            if available == 0 {
                if self.next_packet()? {
                    continue;
                }
                break;
            }
            let take = available.min(max_frames - num_frames);
            let range = self.packet_pos_frames..self.packet_pos_frames + take;
            for (dst, src) in block.iter_mut().zip(&self.packet) {
                dst.extend_from_slice(&src[range.clone()]);
            }
            self.packet_pos_frames += take;
            num_frames += take;
        }
        self.check_finite(block, num_frames);
        self.frames_read += num_frames as u64;
        if num_frames == 0 {
            self.report_non_finite()?;
        }
        Ok(num_frames)
    }

    /// Decodes packets until one has frames; `false` at the end of the file.
    fn next_packet(&mut self) -> Result<bool> {
        let path = &self.path;
        while !self.at_end {
            let Some(packet) = self
                .format
                .next_packet()
                .map_err(|e| decode_error(path, e, "corrupt audio data"))?
            else {
                self.at_end = true;
                break;
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoded = self
                .decoder
                .decode(&packet)
                .map_err(|e| decode_error(path, e, "corrupt audio data"))?;
            if decoded.frames() == 0 {
                continue;
            }
            let num_channels = self.packet.len();
            self.sample_rate_hz = decoded.spec().rate();
            decoded.copy_to_vecs_planar(&mut self.packet);
            let mut num_frames = decoded.frames() as u64;
            if let Some(limit) = self.frame_limit {
                num_frames = num_frames.min(limit - self.frames_decoded);
                self.packet
                    .iter_mut()
                    .for_each(|p| p.truncate(num_frames as usize));
                self.at_end = self.frames_decoded + num_frames == limit;
            }
            self.frames_decoded += num_frames;
            if num_channels != 0 && self.packet.len() != num_channels {
                bail!(
                    "{}: channel count changes mid-stream ({num_channels} to {})",
                    path.display(),
                    self.packet.len()
                );
            }
            self.packet_pos_frames = 0;
            return Ok(true);
        }
        Ok(false)
    }

    /// Counts the non-finite samples of the first `num_frames` frames of `block`.
    fn check_finite(&mut self, block: &[Vec<f32>], num_frames: usize) {
        for (samples, (count, first)) in block.iter().zip(&mut self.non_finite) {
            if let Some(pos) = samples[..num_frames].iter().position(|s| !s.is_finite()) {
                first.get_or_insert(self.frames_read + pos as u64);
                *count += samples[pos..num_frames]
                    .iter()
                    .filter(|s| !s.is_finite())
                    .count() as u64;
            }
        }
    }

    /// The error for a file with non-finite samples: the first channel that has any, how many
    /// and where the first one is.
    fn report_non_finite(&self) -> Result<()> {
        for (ch, &(count, first)) in self.non_finite.iter().enumerate() {
            if let Some(frame) = first {
                bail!(
                    "{}: {count} non-finite (NaN/Inf) samples in channel {}, first at frame {frame}",
                    self.path.display(),
                    ch + 1
                );
            }
        }
        Ok(())
    }
}

fn decode_error(path: &Path, err: DecodeError, what: &str) -> anyhow::Error {
    anyhow::anyhow!("{}: {what} ({err})", path.display())
}
