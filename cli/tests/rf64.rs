//! WAV files over 4 GB: RF64/BW64 files are read (hand-built headers, and a sparse file whose
//! audio really is over 4 GB), RF64 is written and decodes exactly like the plain RIFF WAV of
//! the same audio, and Wave64 gets a clear "not supported".

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use stemwise_cli::audio_file::{
    read_audio, write_wav, write_wav_in, Audio, WavContainer, WavFormat,
};
use stemwise_cli::audio_reader::AudioReader;
use stemwise_cli::rf64_writer::{needs_rf64, write_rf64_header, Rf64Spec, RF64_HEADER_BYTES};

/// Three channels of different noise, an odd number of frames (so 24-bit data needs the RIFF
/// pad byte).
fn three_channels() -> Audio {
    Audio {
        sample_rate_hz: 44_100,
        channels: (0..3u64)
            .map(|c| shared_dsp::signals::white_noise(c + 1, 0.2 * (c + 1) as f32, 4_411))
            .collect(),
    }
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

#[test]
fn rf64_decodes_exactly_like_riff() {
    let dir = tempfile::tempdir().unwrap();
    let audio = three_channels();
    for (format, bytes_per_sample) in [(WavFormat::Int24, 3u64), (WavFormat::Float32, 4)] {
        let riff = dir.path().join(format!("riff-{bytes_per_sample}.wav"));
        let rf64 = dir.path().join(format!("rf64-{bytes_per_sample}.wav"));
        write_wav(&riff, &audio, format, false).unwrap();
        write_wav_in(&rf64, &audio, format, WavContainer::Rf64, false).unwrap();

        let bytes = std::fs::read(&rf64).unwrap();
        assert_eq!(&bytes[..4], b"RF64");
        assert_eq!(&bytes[12..16], b"ds64");
        let data_bytes = 4_411 * 3 * bytes_per_sample;
        let pad = data_bytes & 1;
        assert_eq!(u64_at(&bytes, 20), bytes.len() as u64 - 8, "ds64 RIFF size");
        assert_eq!(u64_at(&bytes, 28), data_bytes, "ds64 data size");
        assert_eq!(u64_at(&bytes, 36), 4_411, "ds64 frame count");
        assert_eq!(bytes.len() as u64, RF64_HEADER_BYTES + data_bytes + pad);

        let from_riff = read_audio(&riff).unwrap();
        assert_eq!(read_audio(&rf64).unwrap(), from_riff, "{format:?}");
        if format == WavFormat::Float32 {
            assert_eq!(from_riff, audio);
        }
    }
}

/// A hand-built BW64/RF64 file: 16-bit mono `samples` after a `bext`-like chunk, the 32-bit
/// sizes set to "see ds64", and a chunk after the audio that must not be read as samples.
fn hand_built(marker: &[u8; 4], samples: &[i16]) -> Vec<u8> {
    let data_bytes = samples.len() as u64 * 2;
    let mut out = Vec::new();
    out.extend_from_slice(marker);
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"ds64");
    // A ds64 with a one-entry table (a foreign chunk size), 28 + 12 bytes.
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&data_bytes.to_le_bytes());
    out.extend_from_slice(&(samples.len() as u64).to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(b"axml");
    out.extend_from_slice(&8u64.to_le_bytes());
    out.extend_from_slice(b"bext");
    out.extend_from_slice(&5u32.to_le_bytes());
    out.extend_from_slice(b"odd!!\0");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8_000u32.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.extend_from_slice(b"LIST");
    out.extend_from_slice(&12u32.to_le_bytes());
    out.extend_from_slice(&[0x7F; 12]);
    out
}

#[test]
fn hand_built_rf64_and_bw64_read_exactly_their_audio() {
    let dir = tempfile::tempdir().unwrap();
    let samples: Vec<i16> = (0..8_000)
        .map(|i| ((i * 37) % 20_000 - 10_000) as i16)
        .collect();
    let expected: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32_768.0).collect();
    for marker in [b"RF64", b"BW64"] {
        let path = dir.path().join("hand.wav");
        std::fs::write(&path, hand_built(marker, &samples)).unwrap();
        let audio = read_audio(&path).unwrap();
        assert_eq!(audio.sample_rate_hz, 8_000);
        assert_eq!(audio.channels, vec![expected.clone()]);
    }
}

#[test]
fn wave64_is_named_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("film.w64");
    let mut bytes = vec![
        0x72, 0x69, 0x66, 0x66, 0x2E, 0x91, 0xCF, 0x11, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00,
        0x00,
    ];
    bytes.resize(200, 0);
    std::fs::write(&path, bytes).unwrap();
    let err = read_audio(&path).unwrap_err().to_string();
    assert!(
        err.contains("film.w64") && err.contains("Wave64") && err.contains("not supported"),
        "{err}"
    );
}

#[test]
fn plain_riff_up_to_4_gb_then_rf64() {
    // hound's header is 68 bytes, so the RIFF size is 60 + data (+ pad byte if odd).
    assert!(!needs_rf64(u64::from(u32::MAX) - 61));
    assert!(needs_rf64(u64::from(u32::MAX) - 60));
    // 24-bit stereo at 48 kHz: 4 hours fit, 5 do not.
    assert!(!needs_rf64(6 * 48_000 * 3_600 * 4));
    assert!(needs_rf64(6 * 48_000 * 3_600 * 5));
}

/// Writes a sparse RF64 file of mono float audio, `num_frames` long, silent except for its
/// last frame (0.5), followed by a chunk of non-audio bytes.
fn write_sparse_rf64(path: &Path, num_frames: u64) {
    let spec = Rf64Spec {
        num_channels: 1,
        sample_rate_hz: 48_000,
        bits_per_sample: 32,
        is_float: true,
    };
    let mut file = File::create(path).unwrap();
    write_rf64_header(&mut file, spec, num_frames).unwrap();
    let last_frame_offset = RF64_HEADER_BYTES + (num_frames - 1) * 4;
    file.seek(SeekFrom::Start(last_frame_offset)).unwrap();
    file.write_all(&0.5f32.to_le_bytes()).unwrap();
    file.write_all(b"LIST\x04\0\0\0\x7f\x7f\x7f\x7f").unwrap();
}

#[test]
fn a_sparse_rf64_over_4_gb_is_read_to_its_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    // 4 GiB + 4 kB of audio: past every 32-bit size.
    let num_frames = (1u64 << 30) + 1_000;
    write_sparse_rf64(&path, num_frames);

    let mut reader = AudioReader::open(&path).unwrap();
    assert_eq!(reader.sample_rate_hz(), 48_000);
    assert_eq!(reader.num_channels(), 1);
    let mut block = vec![Vec::new()];
    let (mut last, mut max_abs) = (0.0f32, 0.0f32);
    while reader.read_block(&mut block, 1 << 20).unwrap() > 0 {
        last = *block[0].last().unwrap();
        max_abs = block[0].iter().fold(max_abs, |m, s| m.max(s.abs()));
    }
    assert_eq!(reader.frames_read(), num_frames);
    assert_eq!(last, 0.5);
    assert_eq!(max_abs, 0.5);
}
