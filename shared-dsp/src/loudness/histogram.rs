//! Constant-memory store of gating-block energies for integrated loudness and LRA, like
//! libebur128's histogram mode but finer (0.01 LU bins) and with each bin's energy sum, so
//! the gated mean is exact except for the one bin the relative gate falls into.

/// Lowest loudness kept, LUFS: the BS.1770 absolute gate (blocks below it are dropped).
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Width of one bin, LU.
const BIN_WIDTH_LU: f64 = 0.01;
/// Loudness at the top of the last bin, LUFS (louder blocks land in the last bin; their
/// energy still counts exactly).
const TOP_LUFS: f64 = 30.0;
/// Number of bins.
const NUM_BINS: usize = ((TOP_LUFS - ABSOLUTE_GATE_LUFS) / BIN_WIDTH_LU) as usize;

/// BS.1770 mean-square energy to loudness: `-0.691 + 10·log10(energy)` (−inf for 0).
pub fn energy_to_lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        -0.691 + 10.0 * energy.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Inverse of [`energy_to_lufs`].
pub fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Histogram of block energies above the absolute gate.
#[derive(Debug, Clone)]
pub struct GatingHistogram {
    /// Blocks per bin; bin `i` holds loudness in `[-70 + 0.01·i, -70 + 0.01·(i+1))` LUFS.
    counts: Vec<u64>,
    /// Sum of the blocks' mean-square energies per bin.
    energies: Vec<f64>,
    /// Blocks above the absolute gate.
    total_count: u64,
    /// Sum of their energies.
    total_energy: f64,
    /// Highest bin in use (scans stop there).
    top_bin: usize,
}

impl GatingHistogram {
    /// An empty histogram (allocates its bins).
    pub fn new() -> Self {
        Self {
            counts: vec![0; NUM_BINS],
            energies: vec![0.0; NUM_BINS],
            total_count: 0,
            total_energy: 0.0,
            top_bin: 0,
        }
    }

    /// Empties it without allocating.
    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.energies.fill(0.0);
        self.total_count = 0;
        self.total_energy = 0.0;
        self.top_bin = 0;
    }

    /// Bin of a loudness at or above the absolute gate.
    fn bin_of(lufs: f64) -> usize {
        (((lufs - ABSOLUTE_GATE_LUFS) / BIN_WIDTH_LU) as usize).min(NUM_BINS - 1)
    }

    /// Centre of bin `bin`, LUFS.
    fn centre_lufs(bin: usize) -> f64 {
        ABSOLUTE_GATE_LUFS + (bin as f64 + 0.5) * BIN_WIDTH_LU
    }

    /// Adds one block's mean-square `energy` if it passes the absolute gate.
    pub fn add(&mut self, energy: f64) {
        if energy.is_nan() || energy < lufs_to_energy(ABSOLUTE_GATE_LUFS) {
            return;
        }
        let bin = Self::bin_of(energy_to_lufs(energy));
        self.counts[bin] += 1;
        self.energies[bin] += energy;
        self.total_count += 1;
        self.total_energy += energy;
        self.top_bin = self.top_bin.max(bin);
    }

    /// First bin passing a relative gate `gate_lu` below the mean of the absolute-gated
    /// blocks: the bin holding the threshold passes when its blocks' mean energy does.
    /// `None` when no block passed the absolute gate.
    fn first_gated_bin(&self, gate_lu: f64) -> Option<usize> {
        if self.total_count == 0 {
            return None;
        }
        let threshold_energy =
            self.total_energy / self.total_count as f64 * 10f64.powf(gate_lu / 10.0);
        let threshold_lufs = energy_to_lufs(threshold_energy);
        if threshold_lufs < ABSOLUTE_GATE_LUFS {
            return Some(0);
        }
        let bin = Self::bin_of(threshold_lufs);
        let count = self.counts[bin];
        let passes = count > 0 && self.energies[bin] / count as f64 >= threshold_energy;
        Some(if passes { bin } else { bin + 1 })
    }

    /// Integrated loudness (BS.1770-4: absolute gate −70 LUFS, relative gate −10 LU), LUFS;
    /// −inf when no block passed the gates.
    pub fn integrated_lufs(&self) -> f64 {
        let Some(start) = self.first_gated_bin(-10.0) else {
            return f64::NEG_INFINITY;
        };
        let end = self.top_bin + 1;
        if start >= end {
            return f64::NEG_INFINITY;
        }
        let count: u64 = self.counts[start..end].iter().sum();
        let energy: f64 = self.energies[start..end].iter().sum();
        if count == 0 {
            f64::NEG_INFINITY
        } else {
            energy_to_lufs(energy / count as f64)
        }
    }

    /// Loudness range (EBU Tech 3342: relative gate −20 LU, 10th to 95th percentile, ranks
    /// rounded as libebur128 does), LU, to within one bin; 0 when fewer than one block passed.
    /// Source: <https://tech.ebu.ch/publications/tech3342>.
    pub fn loudness_range_lu(&self) -> f64 {
        let Some(start) = self.first_gated_bin(-20.0) else {
            return 0.0;
        };
        let end = self.top_bin + 1;
        if start >= end {
            return 0.0;
        }
        let count: u64 = self.counts[start..end].iter().sum();
        if count == 0 {
            return 0.0;
        }
        let rank_of = |p: f64| ((count - 1) as f64 * p + 0.5) as u64;
        let (low_rank, high_rank) = (rank_of(0.10), rank_of(0.95));
        let (mut low, mut high) = (None, None);
        let mut seen = 0u64;
        for bin in start..end {
            seen += self.counts[bin];
            if low.is_none() && seen > low_rank {
                low = Some(bin);
            }
            if seen > high_rank {
                high = Some(bin);
                break;
            }
        }
        match (low, high) {
            (Some(l), Some(h)) => Self::centre_lufs(h) - Self::centre_lufs(l),
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_and_percentiles_match_a_sorted_list() {
        let mut h = GatingHistogram::new();
        // 100 blocks at -20 LUFS, 100 at -30, 50 at -80 (absolutely gated).
        for lufs in [-20.0, -30.0, -80.0] {
            let n = if lufs == -80.0 { 50 } else { 100 };
            for _ in 0..n {
                h.add(lufs_to_energy(lufs));
            }
        }
        // Mean of -20 and -30 energies is -22.6 LUFS, so the -10 LU gate (-32.6) keeps both.
        let expected = energy_to_lufs((lufs_to_energy(-20.0) + lufs_to_energy(-30.0)) / 2.0);
        assert!((h.integrated_lufs() - expected).abs() < 1e-9);
        // Ranks 20 (low, a -30 block) and 189 (high, a -20 block): 10 LU to within a bin.
        assert!((h.loudness_range_lu() - 10.0).abs() < 0.011);
        h.reset();
        assert_eq!(h.integrated_lufs(), f64::NEG_INFINITY);
        assert_eq!(h.loudness_range_lu(), 0.0);
    }
}
