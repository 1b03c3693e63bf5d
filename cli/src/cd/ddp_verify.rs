//! Read-back verification of a written DDP image against what it was written from.

use super::ddp::{open_cd_wav, read_image, CHECKSUM_FILE};
use super::{cdtext, msf, CdLayout, BYTES_PER_FRAME};
use anyhow::{bail, Context, Result};
use md5::{Digest, Md5};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// What [`verify`] compared, for the album report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Tracks compared (frames, ISRC, CD-TEXT).
    pub num_tracks: usize,
    /// PQ descriptor packets read and checked.
    pub num_pq_packets: usize,
    /// CD-TEXT packs read and checked (CRCs, headers, size information).
    pub num_cd_text_packs: usize,
    /// Map stream packets read and checked.
    pub num_map_packets: usize,
    /// Audio bytes compared with the CD master, all equal.
    pub audio_bytes_compared: u64,
    /// CD frames of audio (the lead-out address).
    pub total_frames: u32,
    /// Files whose MD5 was recomputed and matched the checksum file.
    pub num_files_checksummed: usize,
}

/// Reads the image in `dir` back ([`read_image`]: every field checked) and proves it is the
/// image of `layout` over `cd_wav`: the same frames for every index and the lead-out, the same
/// ISRCs, UPC, titles and performers (and CD-TEXT exactly when the layout has text), audio
/// bit-identical to the WAV's, and every file listed in `CHECKSUM.MD5` with a matching MD5.
/// An error lists every difference.
pub fn verify(dir: &Path, layout: &CdLayout, cd_wav: &Path) -> Result<Verification> {
    let image = read_image(dir)?;
    let context = || format!("{}: the DDP image differs from the album", dir.display());
    let differences = layout_differences(&image.layout, layout);
    if !differences.is_empty() {
        return Err(anyhow::anyhow!("{}", differences.join("; "))).with_context(context);
    }
    let has_text = !cdtext::CdText::of(layout).is_empty();
    if has_text != (image.num_cd_text_packs > 0) {
        bail!(
            "{}: CD-TEXT is {}, the album {} titles or performers",
            dir.display(),
            if has_text { "missing" } else { "present" },
            if has_text { "has" } else { "has no" }
        );
    }
    let (mut master, master_bytes) = open_cd_wav(cd_wav, layout.total_frames)?;
    let audio_name = image
        .map
        .iter()
        .find(|m| m.stream_type == "D0")
        .map_or("", |m| &m.file_name);
    let image_md5 =
        compare_audio(&mut master, &mut image.audio()?, master_bytes).with_context(|| {
            format!(
                "{}: {audio_name} against {}",
                dir.display(),
                cd_wav.display()
            )
        })?;
    let audio_md5 = (audio_name, image_md5.as_str());
    let num_files_checksummed = check_checksums(dir, &image.files(), &image.checksums, audio_md5)
        .with_context(|| format!("{}: {CHECKSUM_FILE}", dir.display()))?;
    Ok(Verification {
        num_tracks: image.layout.tracks.len(),
        num_pq_packets: image.pq.len(),
        num_cd_text_packs: image.num_cd_text_packs,
        num_map_packets: image.map.len(),
        audio_bytes_compared: master_bytes,
        total_frames: image.layout.total_frames,
        num_files_checksummed,
    })
}

/// Every field where the layout read back differs from the expected one, in words.
fn layout_differences(read: &CdLayout, expected: &CdLayout) -> Vec<String> {
    /// A value as the message shows it: text quoted, codes as written, `none` when absent.
    fn show<T: std::fmt::Display>(value: Option<&T>, quote: bool) -> String {
        match value {
            Some(v) if quote => format!("{:?}", v.to_string()),
            Some(v) => v.to_string(),
            None => "none".to_owned(),
        }
    }
    let mut out = Vec::new();
    let mut compare = |what: String, got: String, want: String| {
        if got != want {
            out.push(format!("{what}: image has {got}, album has {want}"));
        }
    };
    let text = |s: &Option<String>| show(s.as_ref(), true);
    let upc = |l: &CdLayout| show(l.upc.as_ref(), false);
    compare("UPC".into(), upc(read), upc(expected));
    compare(
        "album title".into(),
        text(&read.title),
        text(&expected.title),
    );
    let (got, want) = (text(&read.performer), text(&expected.performer));
    compare("album performer".into(), got, want);
    let (got, want) = (msf(read.total_frames), msf(expected.total_frames));
    compare("lead-out".into(), got, want);
    let (got, want) = (read.tracks.len(), expected.tracks.len());
    compare("number of tracks".into(), got.to_string(), want.to_string());
    for (i, (got, want)) in read.tracks.iter().zip(&expected.tracks).enumerate() {
        let n = i + 1;
        let frames = |t: &super::CdTrack| (msf(t.index0_frame), msf(t.index1_frame));
        let ((got0, got1), (want0, want1)) = (frames(got), frames(want));
        compare(format!("track {n} index 0"), got0, want0);
        compare(format!("track {n} index 1"), got1, want1);
        let isrc = |t: &super::CdTrack| show(t.isrc.as_ref(), false);
        compare(format!("track {n} ISRC"), isrc(got), isrc(want));
        compare(
            format!("track {n} title"),
            text(&got.title),
            text(&want.title),
        );
        let (got, want) = (text(&got.performer), text(&want.performer));
        compare(format!("track {n} performer"), got, want);
    }
    out
}

/// Compares `num_bytes` of the master and the image one second at a time; returns the image's
/// MD5. An error gives the first differing sample's position.
fn compare_audio(master: &mut impl Read, image: &mut impl Read, num_bytes: u64) -> Result<String> {
    const BLOCK_BYTES: usize = BYTES_PER_FRAME as usize * 75;
    let mut a = vec![0u8; BLOCK_BYTES];
    let mut b = vec![0u8; BLOCK_BYTES];
    let mut md5 = Md5::new();
    let mut offset = 0u64;
    while offset < num_bytes {
        let n = (num_bytes - offset).min(BLOCK_BYTES as u64) as usize;
        master
            .read_exact(&mut a[..n])
            .context("the master WAV ends early")?;
        image
            .read_exact(&mut b[..n])
            .context("the image ends early")?;
        if let Some(i) = a[..n].iter().zip(&b[..n]).position(|(x, y)| x != y) {
            let byte = offset + i as u64;
            let frame = (byte / u64::from(BYTES_PER_FRAME)) as u32;
            bail!(
                "audio differs at byte {byte}: sample {} of the {} channel, in CD frame {frame} \
                 ({})",
                byte / 4,
                if byte % 4 < 2 { "left" } else { "right" },
                msf(frame)
            );
        }
        md5.update(&b[..n]);
        offset += n as u64;
    }
    if image.read(&mut b[..1])? != 0 {
        bail!("the image holds more than the {num_bytes} bytes of the master");
    }
    Ok(format!("{:x}", md5.finalize()))
}

/// Checks that the listing names every file of the fileset and that every listed file's MD5
/// matches (the audio's, `audio_md5`, was computed while comparing it); returns how many files were checked.
fn check_checksums(
    dir: &Path,
    files: &[String],
    listing: &[(String, String)],
    (audio_name, audio_md5): (&str, &str),
) -> Result<usize> {
    if listing.is_empty() {
        bail!("missing or empty");
    }
    if let Some(missing) = files
        .iter()
        .find(|f| !listing.iter().any(|(name, _)| name == *f))
    {
        bail!("{missing} is not listed");
    }
    for (name, listed) in listing {
        let actual = if name == audio_name {
            audio_md5.to_owned()
        } else {
            file_md5(&dir.join(name)).with_context(|| format!("{name}: cannot read"))?
        };
        if &actual != listed {
            bail!("{name}: MD5 is {actual}, the listing gives {listed}");
        }
    }
    Ok(listing.len())
}

/// MD5 of a file, read in blocks.
fn file_md5(path: &Path) -> Result<String> {
    let mut file = BufReader::new(File::open(path)?);
    let mut md5 = Md5::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(format!("{:x}", md5.finalize()));
        }
        md5.update(&block[..n]);
    }
}
