#!/usr/bin/env bash
# Instructions per firm-step of the engine's step (models::advance and all it calls), counted by
# callgrind: the figure `convsim bench` reports where hardware counters exist, for machines (VMs)
# without them. Deterministic, so two builds compare exactly however noisy the machine is.
#
#   scripts/instructions-per-firm-step.sh [FIRMS] [STEPS] [-- extra bench options, e.g. --scenario FILE]
#   CONVSIM=/path/to/other/build/cli/convsim scripts/instructions-per-firm-step.sh 20000 8
set -euo pipefail
convsim=${CONVSIM:-build/cli/convsim}
firms=${1:-20000}
steps=${2:-8}
shift $(( $# < 2 ? $# : 2 ))
[[ "${1:-}" == "--" ]] && shift
command -v valgrind >/dev/null || { echo "instructions-per-firm-step: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
line=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg" --toggle-collect='convsim::models::advance(convsim::Scenario const&, convsim::models::Economy&, convsim::PolicyState const&, convsim::models::StepAggregates&)' \
         "$convsim" bench --one --firms "$firms" --steps "$steps" --threads 1 "$@" 2>"$work/log") ||
  { cat "$work/log" >&2; exit 1; }
read -r _build _step firms_per_step _bytes _instructions <<<"$line"
total=$(callgrind_annotate "$work/cg" | awk '/PROGRAM TOTALS/ && !found {gsub(",", "", $1); print $1; found = 1}')
awk -v ir="$total" -v fps="$firms_per_step" -v steps="$steps" -v firms="$firms" 'BEGIN {
  printf "%.0f instructions per firm-step (%d firms, %d steps, %.4g firm-steps, callgrind)\n", ir / (fps * steps), firms, steps, fps * steps }'
