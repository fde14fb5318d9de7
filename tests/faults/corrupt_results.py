#!/usr/bin/python3
"""Byte-flip and truncation test over convsim's own result files.

Usage: corrupt_results.py --convsim BUILD/cli/convsim --source SOURCE_DIR [--copies N] [--strip-trailer]
                          [--seed S] [--keep DIR]

Writes a small run (with a firm snapshot), a merged sweep of two runs (two scenarios) and a checkpoint
with convsim, then makes --copies damaged copies of each: one bit flipped at a pseudo-random offset
(fixed seed), or the file cut short. Every copy of the run goes to `convsim info --format json` and
`convsim solow` (which reads all of it), every copy of the merged sweep to `convsim compare`, every
copy of the checkpoint to `convsim run --from` (whose result then goes to `convsim solow`), each in
its own process with a timeout. Every one must either exit 2 with one "convsim: error:" message naming the copy, or
exit 0 and print exactly what the undamaged file gives. A crash, a hang, exit 1 or a different
output is a failure; the script prints each and exits 1 if there is any.

--strip-trailer removes convsim's checksum trailer first, so that the damage reaches libhdf5 and
only its own checks (metadata checksums, Fletcher32) stand between it and the reader. That is a
measurement, not a test: libhdf5 1.10 still crashes on some such files (docs/reliability.md).
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

TRAILER_BYTES = 55
TRAILER_PREFIX = b"convsim-checksum crc32="
TIMEOUT_SECONDS = 30


def run(command, timeout=TIMEOUT_SECONDS):
    """(exit code, stdout, stderr); exit code 'timeout' when it did not end in time."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""
    return done.returncode, done.stdout, done.stderr


def make_files(convsim, source, folder):
    """A run with a firm snapshot, a merged sweep of two runs and a checkpoint, written by convsim."""
    baseline = os.path.join(source, "scenarios", "korea_baseline.yaml")
    small = ["--set", "economy.firms=600", "--set", "time.end_year=1994", "-q"]
    result = os.path.join(folder, "run.h5")
    code, _, err = run([convsim, "run", baseline, "-o", result, "--set", "output.snapshot_years=[1993]"] + small,
                       timeout=300)
    if code != 0:
        sys.exit("convsim run failed: " + err.decode(errors="replace"))
    sweep = os.path.join(folder, "sweep.yaml")
    with open(sweep, "w", encoding="utf-8") as out:
        out.write("name: corrupt\nscenarios:\n  baseline: " + baseline + "\n"
                  "  remove_barriers: " + os.path.join(source, "scenarios", "remove_barriers.yaml") + "\n"
                  "set:\n  economy.firms: 600\n  time.end_year: 1994\n  output.snapshot_years: []\n"
                  "design:\n  type: grid\n  parameters:\n    adoption.peer_effect: [0.2]\n"
                  "replicates: 1\nseed: 4\n")
    code, _, err = run([convsim, "sweep", "run", sweep, "-o", os.path.join(folder, "sweep"), "-q"], timeout=600)
    if code != 0:
        sys.exit("convsim sweep run failed: " + err.decode(errors="replace"))
    merged = os.path.join(folder, "merged.h5")
    code, _, err = run([convsim, "merge", os.path.join(folder, "sweep"), "-o", merged], timeout=300)
    if code != 0:
        sys.exit("convsim merge failed: " + err.decode(errors="replace"))
    checkpoint = os.path.join(folder, "checkpoint.h5")
    code, _, err = run([convsim, "run", baseline, "--checkpoint-at", "1992", "--checkpoint", checkpoint,
                        "--checkpoint-only", "--set", "output.snapshot_years=[1991, 1993]"] + small, timeout=300)
    if code != 0:
        sys.exit("convsim run --checkpoint-at failed: " + err.decode(errors="replace"))
    return result, merged, checkpoint


def readers(convsim, path, kind):
    """The commands that read `path`: for a run its listing and all of its data (solow reads the
    whole file); for a merged sweep, a comparison (which reads all of it); for a checkpoint, its
    continuation, whose result solow reads (so that a continuation that differs is seen)."""
    if kind == "merged":
        return [[convsim, "compare", path, "--baseline-scenario", "baseline", "--format", "csv"]]
    if kind == "checkpoint":
        out = os.path.join(os.path.dirname(path), "continued.h5")
        return [["/bin/sh", "-c", f'rm -f "{out}" && "{convsim}" run --from "{path}" -q -o "{out}" && "{convsim}" solow "{out}"']]
    return [[convsim, "info", path, "--format", "json"], [convsim, "solow", path]]


def strip_trailer(data):
    if data[-TRAILER_BYTES:].startswith(TRAILER_PREFIX):
        return data[:-TRAILER_BYTES]
    return data


def mutations(size, copies, rng):
    """(kind, offset) pairs: bit flips over the whole file, and truncations, about 1 in 6."""
    out = []
    for _ in range(copies):
        if rng.random() < 1 / 6:
            out.append(("cut", rng.randrange(0, size)))
        else:
            out.append(("flip", rng.randrange(0, size)))
    return out


def check_file(convsim, original, kind_of_file, copies, strip, folder, rng, keep):
    """Damages `copies` copies of `original`; returns (failure messages, counts of outcomes)."""
    with open(original, "rb") as f:
        data = f.read()
    if strip:
        data = strip_trailer(data)
    # Every copy is read at the same path as the undamaged file, so that outputs compare equal.
    path = os.path.join(folder, "copy.h5")
    with open(path, "wb") as f:
        f.write(data)
    expected = []
    for command in readers(convsim, path, kind_of_file):
        code, out, err = run(command)
        if code != 0:
            return ["the undamaged file does not read: " + err.decode(errors="replace")], {}
        expected.append(out)
    failures = []
    counts = {"read the same": 0, "exit 2": 0}
    name = os.path.basename(original)
    for kind, offset in mutations(len(data), copies, rng):
        damaged = bytearray(data)
        if kind == "flip":
            bit = rng.randrange(8)
            damaged[offset] ^= 1 << bit
            kind = f"flip of bit {bit}"
        else:
            del damaged[offset:]
        with open(path, "wb") as f:
            f.write(damaged)
        for command, want in zip(readers(convsim, path, kind_of_file), expected):
            code, out, err = run(command)
            what = f"{name} {kind} at {offset}: {' '.join(command[1:2]) if kind_of_file != 'checkpoint' else 'run --from'}"
            text = err.decode(errors="replace").strip()
            if code == 0 and out == want:
                counts["read the same"] += 1
            elif code == 2 and text.startswith("convsim: error:") and path in text and text.count("\n") == 0:
                counts["exit 2"] += 1
            else:
                label = "timeout" if code == "timeout" else (f"signal {-code}" if code < 0 else f"exit {code}")
                if code == 0:
                    label = "exit 0 with another output"
                counts[label] = counts.get(label, 0) + 1
                failures.append(f"{what}: {label}: {text[-300:]}")
                if keep:
                    os.makedirs(keep, exist_ok=True)
                    shutil.copy(path, os.path.join(keep, f"{name[:-3]}-{kind.replace(' ', '-')}-at-{offset}.h5"))
        os.remove(path)
    return failures, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--convsim", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--copies", type=int, default=120, help="damaged copies of each file")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--strip-trailer", action="store_true")
    parser.add_argument("--keep", help="folder to keep the damaged copies that failed in (reproducers)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = tempfile.mkdtemp(prefix="convsim-corrupt-")
    try:
        result, merged, checkpoint = make_files(args.convsim, args.source, folder)
        all_failures = []
        for original, kind in ((result, "run"), (merged, "merged"), (checkpoint, "checkpoint")):
            failures, counts = check_file(args.convsim, original, kind, args.copies, args.strip_trailer, folder, rng,
                                          args.keep)
            print(f"{os.path.basename(original)}: {args.copies} copies: {counts}")
            all_failures += failures
        for failure in all_failures:
            print("FAIL", failure)
        return 1 if all_failures else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
