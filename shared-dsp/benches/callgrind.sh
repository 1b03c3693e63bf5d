#!/usr/bin/env bash
# Instructions per stereo frame of each processor under callgrind: deterministic numbers, unlike
# timings. Builds the `instructions` bench target (benches/instructions.rs) with the bench
# profile, runs each processor under valgrind with collection switched on only inside
# `measured_region` (no setup, allocation or warm-up is counted), and prints a table with the
# targets of the performance issue.
#
# Usage: shared-dsp/benches/callgrind.sh [processor ...]      (default: all of them)
# The pseudo-processor `loudness_lengths` (not in the default list: 10 min of audio under
# valgrind takes minutes) compares the loudness meter with ebur128 at 1 s, 10 s, 1 min and
# 10 min of programme, so the meters' end-of-programme work (gating over the whole history)
# is counted at every length; FRAMES does not apply to it.
# Environment: FRAMES (measured stereo frames, default 240000 = 5 s at 48 kHz; 0 prints the
# region's total without audio, a check that no setup is counted);
# CARGO_TARGET_DIR (as for cargo); OUT_DIR (where the callgrind.out.<processor> files go,
# default $CARGO_TARGET_DIR/callgrind). Profile one further with
#   callgrind_annotate --inclusive=yes $OUT_DIR/callgrind.out.eq4
set -euo pipefail
cd "$(dirname "$0")/../.."

frames=${FRAMES:-240000}
target_dir=${CARGO_TARGET_DIR:-target}
out_dir=${OUT_DIR:-$target_dir/callgrind}
if [ $# -gt 0 ]; then
    processors=("$@")
else
    processors=(limiter limiter_half_link compressor compressor_rms eq4 eq_linear saturation2x saturation4x
        true_peak true_peak_16x loudness ebur128 strip strip_no_saturation strip_multiband master master_bus)
fi

# The release profile strips symbols; --toggle-collect needs them, callgrind_annotate wants the
# line tables. (Cargo keeps these artifacts apart from the stripped ones: no rebuild ping-pong.)
export CARGO_PROFILE_BENCH_STRIP=none CARGO_PROFILE_BENCH_DEBUG=line-tables-only
bin=$(cargo bench -p shared-dsp --bench instructions --no-run --message-format=json |
    grep -o '"executable":"[^"]*/instructions-[^"]*"' | sed 's/.*:"\(.*\)"/\1/' | tail -n 1)
[ -x "$bin" ] || { echo "callgrind.sh: instructions bench binary not found" >&2; exit 1; }
mkdir -p "$out_dir"

# Targets in instructions per stereo frame (empty = none; loudness is judged against ebur128).
declare -A limit=([limiter]=600 [limiter_half_link]=600 [compressor]=150 [compressor_rms]=150 [eq4]=60 [saturation4x]=500 [strip]=900
    [strip_multiband]=1300 [master_bus]=1488)
declare -A per_frame
# Loudness meter vs ebur128 (I+LRA+TP): fewer instructions by at least this factor.
loudness_ratio_target=2.5

# Instructions collected in `measured_region` for processor $1 over $2 frames (callgrind
# output in $3).
count() {
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_region*' \
        --callgrind-out-file="$3" "$bin" "$1" "$2" 2>"$3.log" ||
        { cat "$3.log" >&2; exit 1; }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$3"
}

printf '%-16s %14s %10s\n' processor 'instr/frame' target
for p in "${processors[@]}"; do
    [ "$p" = loudness_lengths ] && continue
    out="$out_dir/callgrind.out.$p"
    total=$(count "$p" "$frames" "$out")
    # FRAMES=0 shows what the region costs without audio (the meters' final readings).
    per_frame[$p]=$(awk -v t="$total" -v n="$frames" 'BEGIN { printf "%.1f", n ? t / n : t }')
    verdict=
    if [ "$frames" -gt 0 ] && [ -n "${limit[$p]:-}" ]; then
        verdict=$(awk -v x="${per_frame[$p]}" -v l="${limit[$p]}" \
            'BEGIN { printf "<= %d %s", l, (x <= l ? "ok" : "MISSED") }')
    fi
    printf '%-16s %14s %10s\n' "$p" "${per_frame[$p]}" "$verdict"
done
if [ "$frames" -gt 0 ] && [ -n "${per_frame[loudness]:-}" ] && [ -n "${per_frame[ebur128]:-}" ]; then
    awk -v a="${per_frame[loudness]}" -v b="${per_frame[ebur128]}" -v t="$loudness_ratio_target" 'BEGIN {
        printf "loudness meter vs ebur128 (I+LRA+TP): %.2fx fewer instructions (target >= %s: %s)\n",
            b / a, t, (b / a >= t ? "ok" : "MISSED") }'
fi
if [[ " ${processors[*]} " == *" loudness_lengths "* ]]; then
    printf '\n%-10s %16s %16s %8s\n' programme 'loudness i/frame' 'ebur128 i/frame' ratio
    for seconds in 1 10 60 600; do
        n=$((seconds * 48000))
        ours=$(count loudness "$n" "$out_dir/callgrind.out.loudness_${seconds}s")
        theirs=$(count ebur128 "$n" "$out_dir/callgrind.out.ebur128_${seconds}s")
        awk -v s="$seconds" -v a="$ours" -v b="$theirs" -v n="$n" -v t="$loudness_ratio_target" 'BEGIN {
            printf "%-10s %16.1f %16.1f %7.2fx %s\n", s " s", a / n, b / n, b / a,
                (b / a >= t ? "ok" : "MISSED") }'
    done
fi
