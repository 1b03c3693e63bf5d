//! `stemwise`: the offline companion of the Stemwise plugins.

mod audio_file;

fn main() -> anyhow::Result<()> {
    Ok(())
}
