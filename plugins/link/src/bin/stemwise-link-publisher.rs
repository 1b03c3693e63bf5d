//! Test helper: publishes strips into a session from its own process, so tests can check the
//! link across processes (and kill it mid-stream).
//!
//! `stemwise-link-publisher SESSION COUNT [SECONDS]`: joins SESSION with COUNT strips named
//! `strip-0`… (trim = index / 10 dB), prints `ready PID` once all hold a slot, then publishes
//! every 10 ms for SECONDS (default 60) and exits. Prints the link error and exits with status 2
//! when the session is unavailable.

use session_link::{EnergyBlock, Publisher, StripName, StripState};
use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let session = args.get(1).map_or("default", String::as_str);
    let count: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(60);
    let mut publishers = Vec::with_capacity(count);
    for _ in 0..count {
        match Publisher::connect(session) {
            Ok(p) => publishers.push(p),
            Err(e) => {
                println!("{e}");
                std::process::exit(2);
            }
        }
    }
    println!("ready {}", std::process::id());
    std::io::stdout().flush().ok();
    let start = Instant::now();
    let mut sequence = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        for (index, publisher) in publishers.iter_mut().enumerate() {
            let state = StripState {
                name: StripName::new(&format!("strip-{index}")),
                trim_db: index as f32 / 10.0,
                ..StripState::default()
            };
            let block = EnergyBlock {
                start_samples: sequence as i64 * 480,
                num_frames: 480,
                energy: 1e-3,
                ..EnergyBlock::default()
            };
            publisher.publish(&state, &[block]);
        }
        sequence += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
}
