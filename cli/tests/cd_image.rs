//! The CD image writers on a generated 3-track album (track 1 with the Red Book's 2 s pre-gap,
//! track 2 gapless after it, track 3 after a 2 s gap; ISRCs, UPC, titles with non-ASCII
//! Latin-1 characters): the DDP fileset read back bit-exact with PQ times exact to the frame,
//! its fields at the offsets the public DDP readers use, its checksums accepted by coreutils'
//! `md5sum -c`; corruptions named, never a panic; the cue sheet read by Debian's cuetools
//! (`cuebreakpoints`, `cueprint`; install with `apt-get install cuetools`); the PQ sheet's HTML
//! and PNG.

use std::path::{Path, PathBuf};
use std::process::Command;
use stemwise_cli::cd::{
    self, cdtext, cue, ddp, msf, pq_sheet, CdLayout, CdTrack, Isrc, TrackLoudness, Upc,
};

/// Track lengths from index 1, frames.
const TRACK_FRAMES: [u32; 3] = [450, 390, 375];
/// Pre-gaps before each track, frames (track 2 is gapless).
const PREGAP_FRAMES: [u32; 3] = [150, 0, 150];

/// The album's layout.
fn layout() -> CdLayout {
    let mut frame = 0;
    let titles = ["Ouverture à deux", "<Gapless> & \"more\"", "Schluß"];
    let isrcs = ["GB-AAA-24-00001", "GB-AAA-24-00002", "GB-AAA-24-00003"];
    let tracks = (0..3)
        .map(|i| {
            let index0_frame = frame;
            let index1_frame = frame + PREGAP_FRAMES[i];
            frame = index1_frame + TRACK_FRAMES[i];
            CdTrack {
                title: Some(titles[i].to_owned()),
                performer: (i != 1).then(|| "Zoë Ensemble".to_owned()),
                isrc: Some(Isrc::parse(isrcs[i]).unwrap()),
                index0_frame,
                index1_frame,
                loudness: Some(TrackLoudness {
                    integrated_lufs: -10.0 - i as f32,
                    lra_lu: 5.0,
                    true_peak_dbtp: -1.0,
                    plr_lu: 9.0 + i as f32,
                }),
            }
        })
        .collect();
    CdLayout {
        title: Some("Études".to_owned()),
        performer: Some("Zoë Ensemble".to_owned()),
        upc: Some(Upc::parse("036000291452").unwrap()),
        tracks,
        total_frames: frame,
    }
}

/// Sample `n` of `channel`: a deterministic full-scale pattern that differs between the
/// channels and covers every byte value, so byte order and channel order both show.
fn sample(n: u64, channel: u64) -> i16 {
    let x = n.wrapping_mul(2_654_435_761).wrapping_add(channel * 40_503) >> 7;
    x as u16 as i16
}

/// Writes the CD master WAV of `num_frames` CD frames (16-bit, 44.1 kHz, stereo).
fn write_master(path: &Path, num_frames: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..u64::from(num_frames) * 588 {
        writer.write_sample(sample(n, 0)).unwrap();
        writer.write_sample(sample(n, 1)).unwrap();
    }
    writer.finalize().unwrap();
}

/// A folder with the master WAV and the DDP image written from it (`ddp/`).
struct Album {
    _temp: tempfile::TempDir,
    layout: CdLayout,
    wav: PathBuf,
    ddp: PathBuf,
}

fn album() -> Album {
    let temp = tempfile::tempdir().unwrap();
    let layout = layout();
    let wav = temp.path().join("album.wav");
    write_master(&wav, layout.total_frames);
    let ddp = temp.path().join("ddp");
    ddp::write_image(&ddp, &layout, &wav).unwrap();
    Album {
        _temp: temp,
        layout,
        wav,
        ddp,
    }
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn ddp_fileset_reads_back_bit_exact_with_exact_pq_times() {
    let album = album();
    let mut names: Vec<String> = std::fs::read_dir(&album.ddp)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "CDTEXT.BIN",
            "CHECKSUM.MD5",
            "DDPID",
            "DDPMS",
            "IMAGE.DAT",
            "PQDESCR"
        ],
        "exactly the fileset, no staging or partial file left"
    );

    let verification = ddp::verify(&album.ddp, &album.layout, &album.wav).unwrap();
    let total_frames = album.layout.total_frames;
    assert_eq!(total_frames, 150 + 450 + 390 + 150 + 375);
    assert_eq!(
        verification.audio_bytes_compared,
        u64::from(total_frames) * 2352
    );
    assert_eq!(verification.total_frames, total_frames);
    assert_eq!(verification.num_tracks, 3);
    // Lead-in, track 1 index 0 and 1, track 2 index 1, track 3 index 0 and 1, lead-out twice.
    assert_eq!(verification.num_pq_packets, 8);
    assert_eq!(verification.num_map_packets, 3);
    assert_eq!(verification.num_files_checksummed, 5);
    assert!(verification.num_cd_text_packs > 3);

    let image = ddp::read_image(&album.ddp).unwrap();
    let mut expected = album.layout.clone();
    for track in &mut expected.tracks {
        track.loudness = None;
    }
    assert_eq!(
        image.layout, expected,
        "titles, ISRCs, UPC and every index frame"
    );

    // The PQ packets as text, at the offsets of the published layout: track 3's index 01 is
    // at 150 + 450 + 390 + 150 = 1140 frames = 00:15:15.
    let pq = std::fs::read(album.ddp.join("PQDESCR")).unwrap();
    let packets: Vec<&str> = pq.chunks(64).map(text).collect();
    assert_eq!(&packets[0][..20], "VVVS0000  00000001  ");
    assert_eq!(packets[0][20..32].trim(), "", "no ISRC on the lead-in");
    assert_eq!(&packets[0][32..45], "0036000291452");
    assert_eq!(&packets[1][..32], "VVVS0100  00000001  GBAAA2400001");
    assert_eq!(&packets[2][..20], "VVVS0101  00020001  ");
    assert_eq!(&packets[3][..32], "VVVS0201  00080001  GBAAA2400002");
    assert_eq!(&packets[4][..32], "VVVS0300  00131501  GBAAA2400003");
    assert_eq!(&packets[5][..20], "VVVS0301  00151501  ");
    assert_eq!(msf(1140), "00:15:15");
    assert_eq!(&packets[6][..20], "VVVSAA01  00201501  ");
    assert_eq!(packets[6], packets[7]);

    // DDPID and DDPMS fields at their offsets.
    let id = std::fs::read(album.ddp.join("DDPID")).unwrap();
    assert_eq!(id.len(), 128);
    assert_eq!(text(&id[..21]), "DDP 2.000036000291452");
    assert_eq!(text(&id[87..89]), "CD");
    let map = std::fs::read(album.ddp.join("DDPMS")).unwrap();
    let packets: Vec<&str> = map.chunks(128).map(text).collect();
    assert_eq!(packets.len(), 3);
    assert_eq!(&packets[0][..6], "VVVMS0");
    assert_eq!(&packets[0][30..38], "CDTEXT  ");
    assert_eq!(&packets[0][71..91], "017CDTEXT.BIN       ");
    assert_eq!(&packets[1][30..38], "PQ DESCR");
    assert_eq!(&packets[1][14..22], "00000512");
    assert_eq!(&packets[2][..22], "VVVMD0        00001515");
    assert_eq!(&packets[2][38..50], "DA70    0150");
    assert_eq!(&packets[2][71..91], "017IMAGE.DAT        ");

    // IMAGE.DAT: little-endian 16-bit, left then right, frame 0 first.
    let audio = std::fs::read(album.ddp.join("IMAGE.DAT")).unwrap();
    for n in [0u64, 1, 88_200, 587 * 1000 + 3] {
        let at = n as usize * 4;
        assert_eq!(
            audio[at..at + 2],
            sample(n, 0).to_le_bytes(),
            "left sample {n}"
        );
        assert_eq!(
            audio[at + 2..at + 4],
            sample(n, 1).to_le_bytes(),
            "right sample {n}"
        );
    }
}

#[test]
fn a_disc_without_text_or_codes_has_no_cd_text_stream() {
    let temp = tempfile::tempdir().unwrap();
    let mut layout = layout();
    layout.title = None;
    layout.performer = None;
    layout.upc = None;
    layout.tracks.truncate(1);
    layout.total_frames = layout.tracks[0].index1_frame + 300;
    for track in &mut layout.tracks {
        (track.title, track.performer, track.isrc, track.loudness) = (None, None, None, None);
    }
    let wav = temp.path().join("one.wav");
    write_master(&wav, layout.total_frames);
    let dir = temp.path().join("ddp");
    ddp::write_image(&dir, &layout, &wav).unwrap();
    assert!(!dir.join("CDTEXT.BIN").exists());
    let verification = ddp::verify(&dir, &layout, &wav).unwrap();
    assert_eq!(
        (verification.num_map_packets, verification.num_pq_packets),
        (2, 5),
        "PQ and audio streams; lead-in, index 0, index 1, lead-out twice"
    );
    assert_eq!(verification.num_cd_text_packs, 0);
    let id = std::fs::read(dir.join("DDPID")).unwrap();
    assert_eq!(text(&id[8..21]), "             ", "no UPC");
    // Verifying against a layout with text finds the missing CD-TEXT.
    let mut titled = layout.clone();
    titled.tracks[0].title = Some("Title".to_owned());
    let err = format!("{:#}", ddp::verify(&dir, &titled, &wav).unwrap_err());
    assert!(
        err.contains("track 1 title: image has none, album has \"Title\""),
        "{err}"
    );
}

/// The fileset as cue2ddp would lay out the same disc (per the published comparison of
/// cue2ddp, Sonoris and HOFA output): numbers padded with spaces, DSS blank, SCR `1`, the PQ
/// stream in a file named `SD`, the UPC-A's 12 digits in DDPID, no checksum file.
#[test]
fn reader_accepts_the_other_writers_conventions() {
    let album = album();
    let dir = tempfile::tempdir().unwrap();
    for name in ["DDPID", "DDPMS", "PQDESCR", "CDTEXT.BIN", "IMAGE.DAT"] {
        let target = if name == "PQDESCR" { "SD" } else { name };
        std::fs::copy(album.ddp.join(name), dir.path().join(target)).unwrap();
    }
    let space_padded = |field: &mut [u8]| {
        let digits = text(field).trim_start_matches('0').to_owned();
        let padded = format!("{digits:>width$}", width = field.len());
        field.copy_from_slice(padded.as_bytes());
    };
    let map_path = dir.path().join("DDPMS");
    let mut map = std::fs::read(&map_path).unwrap();
    for packet in map.chunks_mut(128) {
        space_padded(&mut packet[14..22]);
        packet[22..30].copy_from_slice(b"        ");
        if &packet[4..6] == b"D0" {
            packet[41] = b'1';
            space_padded(&mut packet[46..50]);
        } else if &packet[30..38] == b"PQ DESCR" {
            packet[74..91].copy_from_slice(b"SD               ");
        }
    }
    std::fs::write(&map_path, map).unwrap();
    let id_path = dir.path().join("DDPID");
    let mut id = std::fs::read(&id_path).unwrap();
    id[8..21].copy_from_slice(b"036000291452 ");
    std::fs::write(&id_path, id).unwrap();
    let pq_path = dir.path().join("SD");
    let mut pq = std::fs::read(&pq_path).unwrap();
    pq[32..45].copy_from_slice(b"036000291452 ");
    std::fs::write(&pq_path, pq).unwrap();

    let image = ddp::read_image(dir.path()).unwrap();
    let original = ddp::read_image(&album.ddp).unwrap();
    assert_eq!(image.layout, original.layout);
    assert!(image.checksums.is_empty());
    let err = format!(
        "{:#}",
        ddp::verify(dir.path(), &album.layout, &album.wav).unwrap_err()
    );
    assert!(err.contains("CHECKSUM.MD5: missing or empty"), "{err}");
}

#[test]
fn md5sum_accepts_the_checksum_file() {
    let album = album();
    let output = Command::new("md5sum")
        .args(["-c", "--strict", "CHECKSUM.MD5"])
        .current_dir(&album.ddp)
        .output()
        .expect("md5sum (coreutils) runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    for name in ["DDPID", "DDPMS", "CDTEXT.BIN", "PQDESCR", "IMAGE.DAT"] {
        assert!(report.contains(&format!("{name}: OK")), "{report}");
    }
}

/// Copies the fileset, applies `corrupt` to the copy and returns the copy's folder.
fn corrupted(album: &Album, name: &str, corrupt: impl Fn(&mut Vec<u8>)) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&album.ddp).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    let path = copy.path().join(name);
    let mut bytes = std::fs::read(&path).unwrap();
    corrupt(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    copy
}

#[test]
fn corruptions_give_errors_that_name_the_field() {
    let album = album();
    let pq_packet = |k: usize, offset: usize| k * 64 + offset;
    type Corruption = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Corruption, &str)> = vec![
        (
            "DDPID",
            Box::new(|b| b.truncate(100)),
            "DDPID: 100 bytes, not 128",
        ),
        ("DDPID", Box::new(|b| b[4] = b'1'), "level \"DDP 1.00\""),
        ("DDPID", Box::new(|b| b[20] = b'3'), "check digit is 3"),
        ("DDPMS", Box::new(|b| b.truncate(300)), "DDPMS: 300 bytes"),
        (
            "DDPMS",
            Box::new(|b| b[128] = b'X'),
            "packet 1 (bytes 128..256): marker",
        ),
        (
            "DDPMS",
            Box::new(|b| b[256 + 18] = b'x'),
            "field DSL (bytes 14..22)",
        ),
        (
            "DDPMS",
            Box::new(|b| b[256 + 21] = b'4'),
            "IMAGE.DAT has 3563280 bytes",
        ),
        ("DDPMS", Box::new(|b| b[256 + 38] = b'2'), "CD mode \"2A\""),
        (
            "IMAGE.DAT",
            Box::new(|b| b.truncate(b.len() - 1)),
            "DSL gives 1515 sectors",
        ),
        (
            "PQDESCR",
            Box::new(|b| b.truncate(100)),
            "PQDESCR has 100 bytes; DSL gives 512",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(3, 12)] = b'6'),
            "field SEC holds 68",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(3, 5)] = b'3'),
            "expected track 02",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(1, 21)] = b'1'),
            "field ISRC",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(6, 15)] = b'1'),
            "lead-out at index 01 00:20:11",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(2, 16)] = b'4'),
            "field C1 holds \"41\"",
        ),
        (
            "PQDESCR",
            Box::new(move |b| b[pq_packet(4, 30)] = 0),
            "byte 0x00",
        ),
        ("CDTEXT.BIN", Box::new(|b| b[40] ^= 0x20), "pack 2: CRC"),
        (
            "CDTEXT.BIN",
            Box::new(|b| b.truncate(b.len() - 18)),
            "CDTEXT.BIN has 198 bytes; DSL gives 216",
        ),
        ("CHECKSUM.MD5", Box::new(|b| b[3] = b'x'), "line 1"),
    ];
    for (file, corrupt, expected) in cases {
        let copy = corrupted(&album, file, corrupt);
        let err = ddp::verify(copy.path(), &album.layout, &album.wav).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains(expected),
            "{file}, expected {expected:?}: {message}"
        );
    }

    // A packet removed, with DDPMS giving the shorter length: track 3 loses its index 01.
    let copy = corrupted(&album, "PQDESCR", |b| {
        b.drain(5 * 64..6 * 64).for_each(drop)
    });
    let map_path = copy.path().join("DDPMS");
    let mut map = std::fs::read(&map_path).unwrap();
    map[128 + 14..128 + 22].copy_from_slice(b"00000448");
    std::fs::write(&map_path, map).unwrap();
    let err = format!("{:#}", ddp::read_image(copy.path()).unwrap_err());
    assert!(
        err.contains("packet 5 (track AA index 01): track 03 has no index 01"),
        "{err}"
    );

    // Corruptions only the comparison with the master catches.
    let copy = corrupted(&album, "IMAGE.DAT", |b| b[2352 * 700 + 6] ^= 1);
    let err = format!(
        "{:#}",
        ddp::verify(copy.path(), &album.layout, &album.wav).unwrap_err()
    );
    assert!(
        err.contains(
            "byte 1646406: sample 411601 of the right channel, in CD frame 700 (00:09:25)"
        ),
        "{err}"
    );
    let copy = corrupted(&album, "DDPID", |b| b[40] = b'X');
    let err = format!(
        "{:#}",
        ddp::verify(copy.path(), &album.layout, &album.wav).unwrap_err()
    );
    assert!(err.contains("DDPID: MD5 is"), "{err}");
    let mut other = album.layout.clone();
    other.tracks[1].isrc = Some(Isrc::parse("GB-AAA-24-00009").unwrap());
    other.tracks[2].title = Some("Schluss".to_owned());
    let err = format!(
        "{:#}",
        ddp::verify(&album.ddp, &other, &album.wav).unwrap_err()
    );
    assert!(
        err.contains("track 2 ISRC: image has GB-AAA-24-00002, album has GB-AAA-24-00009")
            && err.contains("track 3 title: image has \"Schluß\", album has \"Schluss\""),
        "{err}"
    );
    let missing = corrupted(&album, "PQDESCR", |_| {});
    std::fs::remove_file(missing.path().join("PQDESCR")).unwrap();
    let err = format!("{:#}", ddp::read_image(missing.path()).unwrap_err());
    assert!(err.contains("stream file \"PQDESCR\" is missing"), "{err}");
}

/// A xorshift64 generator (seeded, so every run mutates the same way).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_damage_to_any_descriptor_file_is_detected_without_panicking() {
    let album = album();
    let mut random = XorShift(0x5EED_CD15);
    let mut num_read_errors = 0;
    let num_cases = 5 * 60;
    for file in ["DDPID", "DDPMS", "PQDESCR", "CDTEXT.BIN", "CHECKSUM.MD5"] {
        for _ in 0..60 {
            let (kind, at, value) = (random.below(3), random.below(1 << 16), random.below(256));
            let copy = corrupted(&album, file, |b| match kind {
                // A byte set to a value it does not hold.
                0 => {
                    let i = at % b.len();
                    b[i] = if usize::from(b[i]) == value {
                        value as u8 ^ 0x41
                    } else {
                        value as u8
                    };
                }
                // Truncated.
                1 => b.truncate(at % b.len()),
                // A piece repeated.
                _ => {
                    let i = at % b.len();
                    let piece = b[i..(i + 1 + value).min(b.len())].to_vec();
                    b.splice(i..i, piece);
                }
            });
            num_read_errors += usize::from(ddp::read_image(copy.path()).is_err());
            // Every change to a fileset file is caught by the read-back: the fields, the
            // comparison with the album, or the MD5s. (A change to the listing itself may keep
            // its meaning: hex digits in upper case, "  " for " *".)
            let result = ddp::verify(copy.path(), &album.layout, &album.wav);
            if file != "CHECKSUM.MD5" {
                assert!(
                    result.is_err(),
                    "{file}: damage {kind} at {at} ({value}) missed"
                );
            }
        }
    }
    // Most damage is already a malformed field (the rest: free-text fields, MD5s).
    assert!(
        num_read_errors > num_cases * 2 / 3,
        "{num_read_errors} of {num_cases}"
    );
}

#[test]
fn bad_masters_and_layouts_are_refused_before_anything_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let layout = layout();
    let wav = temp.path().join("short.wav");
    write_master(&wav, layout.total_frames - 1);
    let out = temp.path().join("ddp");
    let err = format!("{:#}", ddp::write_image(&out, &layout, &wav).unwrap_err());
    assert!(
        err.contains("890232 samples per channel") && err.contains("need 890820"),
        "{err}"
    );

    let mono = temp.path().join("mono.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    hound::WavWriter::create(&mono, spec)
        .unwrap()
        .finalize()
        .unwrap();
    let err = format!("{:#}", ddp::write_image(&out, &layout, &mono).unwrap_err());
    assert!(err.contains("1 channel(s), 48000 Hz, 24-bit"), "{err}");

    let good = temp.path().join("good.wav");
    write_master(&good, layout.total_frames);
    let mut greek = layout.clone();
    greek.tracks[0].performer = Some("Ωmega".to_owned());
    let err = format!("{:#}", ddp::write_image(&out, &greek, &good).unwrap_err());
    assert!(err.contains("track 1 performer: 'Ω' (U+03A9)"), "{err}");
    assert!(err.ends_with(&cdtext::check(&greek).unwrap_err()), "{err}");
    let mut overlapping = layout.clone();
    overlapping.tracks[2].index0_frame = overlapping.tracks[1].index1_frame;
    let err = format!(
        "{:#}",
        ddp::write_image(&out, &overlapping, &good).unwrap_err()
    );
    assert!(
        err.contains("track 2: starts at 00:08:00 but ends at 00:08:00"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");

    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old"), b"x").unwrap();
    let err = format!("{:#}", ddp::write_image(&out, &layout, &good).unwrap_err());
    assert!(err.contains("not empty"), "{err}");
}

/// Runs a cuetools program, or fails saying how to install it.
fn cuetools(program: &str, args: &[&str], dir: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} ({e}) is needed: it is Debian's cuetools package, install it with \
             `apt-get install cuetools`"
            )
        });
    assert!(
        output.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `m:ss.ff` as cuebreakpoints prints it, in frames.
fn breakpoint_frames(text: &str) -> u32 {
    let (minutes, rest) = text.split_once(':').unwrap();
    let (seconds, frames) = rest.split_once('.').unwrap();
    let [m, s, f] = [minutes, seconds, frames].map(|n| n.parse::<u32>().unwrap());
    (m * 60 + s) * 75 + f
}

#[test]
fn cuetools_read_the_cue_sheet_at_the_layouts_frames() {
    let layout = layout();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("album.cue"),
        cue::cue_sheet(&layout, "album.wav"),
    )
    .unwrap();
    // Default (pre-gaps appended to the previous track): the breakpoints are index 1.
    let breakpoints: Vec<u32> = cuetools("cuebreakpoints", &["album.cue"], dir.path())
        .lines()
        .map(breakpoint_frames)
        .collect();
    let index1: Vec<u32> = layout.tracks[1..].iter().map(|t| t.index1_frame).collect();
    assert_eq!(breakpoints, index1);
    // Pre-gaps prepended to their track: the breakpoints are index 0.
    let breakpoints: Vec<u32> = cuetools(
        "cuebreakpoints",
        &["--prepend-gaps", "album.cue"],
        dir.path(),
    )
    .lines()
    .map(breakpoint_frames)
    .collect();
    let index0: Vec<u32> = layout.tracks[1..].iter().map(|t| t.index0_frame).collect();
    assert_eq!(breakpoints, index0);

    let printed = cuetools("cueprint", &["album.cue"], dir.path());
    for (i, track) in layout.tracks.iter().enumerate() {
        let isrc = track.isrc.as_ref().unwrap().bare().to_owned();
        assert!(
            printed.contains(&format!("ISRC:\t\t{isrc}")),
            "track {}: {printed}",
            i + 1
        );
    }
    assert!(printed.contains("title:\t\tOuverture à deux"), "{printed}");
    assert!(
        printed.contains("title:\t\t<Gapless> & 'more'"),
        "{printed}"
    );
    assert!(printed.contains("no. of tracks:\t3"), "{printed}");
}

#[test]
fn pq_sheet_lists_every_track_in_html_and_png() {
    let layout = layout();
    let dir = tempfile::tempdir().unwrap();
    let paths = pq_sheet::write(dir.path(), "pq", &layout).unwrap();
    assert_eq!(
        paths,
        [dir.path().join("pq.html"), dir.path().join("pq.png")]
    );
    let html = std::fs::read_to_string(&paths[0]).unwrap();
    for (i, track) in layout.tracks.iter().enumerate() {
        for time in [
            msf(track.index0_frame),
            msf(track.index1_frame),
            msf(layout.track_length_frames(i)),
            msf(track.index1_frame - track.index0_frame),
        ] {
            assert!(
                html.contains(&format!("<td class=\"time\">{time}</td>")),
                "{time}"
            );
        }
        assert!(html.contains(&track.isrc.as_ref().unwrap().to_string()));
    }
    assert!(html.contains("&lt;Gapless&gt; &amp; &quot;more&quot;"));
    assert!(!html.contains("<Gapless>"));
    assert!(
        html.contains("<td>-10.0</td><td>-1.0</td><td>9.0</td>"),
        "loudness row"
    );
    assert!(html.contains("0036000291452") && html.contains("Études"));
    assert!(html.contains(&format!("Lead-out: {}", msf(layout.total_frames))));
    assert!(html.contains(&format!(
        "Total running time (track 1 index 1 to lead-out): {}",
        msf(layout.total_frames - 150)
    )));

    let png = image::open(&paths[1]).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (1600, 150 + 30 * 4 + 90));
    // Text pixels: every table row (header and 3 tracks) has dark pixels in its title column
    // (x 90..400), away from the grid lines.
    for row in 0..4u32 {
        let y0 = 150 + 30 * row + 5;
        let dark = (90..400)
            .flat_map(|x| (y0..y0 + 20).map(move |y| (x, y)))
            .filter(|&(x, y)| png.get_pixel(x, y).0.iter().all(|&c| c < 100))
            .count();
        assert!(dark > 40, "row {row}: {dark} dark pixels");
    }
    let dark_total = png
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c < 100))
        .count();
    let total = (png.width() * png.height()) as usize;
    assert!(
        dark_total > total / 200 && dark_total < total / 5,
        "{dark_total} of {total}"
    );

    let err = format!(
        "{:#}",
        pq_sheet::write(dir.path(), "pq", &layout).unwrap_err()
    );
    assert!(err.contains("already exists"), "{err}");
}

/// The frames and bytes of the layout agree with the CD constants the writers use.
#[test]
fn layout_frames_are_whole_cd_sectors() {
    assert_eq!(cd::SAMPLES_PER_FRAME * 4, cd::BYTES_PER_FRAME);
    assert_eq!(
        cd::CD_SAMPLE_RATE_HZ,
        cd::SAMPLES_PER_FRAME * cd::FRAMES_PER_SECOND
    );
}
