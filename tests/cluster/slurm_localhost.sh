#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine, runs one command against it, and stops exactly
# the daemons it started (by PID), also when the command fails or the script is interrupted.
#
#   slurm_localhost.sh WORKDIR [--timeout SECONDS] -- COMMAND [ARGS...]
#
# Everything lives under WORKDIR: a generated munge key and munged's socket, slurm.conf (this host
# as controller and only node with its real CPUs and memory from `slurmd -C`, proctrack/linuxproc,
# task/none, select/cons_tres, SlurmUser=root, ports of its own), spool, state and logs. The
# command runs with SLURM_CONF set, so sbatch, squeue and sinfo talk to this cluster only.
# Needs root (as Debian's slurm-wlm and munge run here). Exit status: the command's; 3 when the
# cluster could not be started (logs on stderr); 4 when the command timed out.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

usage() {
  echo "usage: slurm_localhost.sh WORKDIR [--timeout SECONDS] -- COMMAND [ARGS...]" >&2
  exit 3
}
[ $# -ge 1 ] || usage
WORK=$(realpath -m "$1")
shift
TIMEOUT=110
if [ "${1:-}" = "--timeout" ]; then
  TIMEOUT=$2
  shift 2
fi
[ "${1:-}" = "--" ] && shift
[ $# -ge 1 ] || usage

for tool in munged munge slurmctld slurmd sinfo sbatch squeue scancel scontrol; do
  if ! command -v "$tool" >/dev/null; then
    echo "slurm_localhost: $tool not found (apt-get install slurm-wlm munge)" >&2
    exit 3
  fi
done

MUNGED_PID=""
SLURMCTLD_PID=""
SLURMD_PID=""

# Stops one daemon we started: TERM, up to 10 s to go, then KILL.
stop_daemon() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm_localhost: daemon $pid ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  trap - EXIT INT TERM
  # Jobs of this cluster first (so no job step outlives its slurmd), then the daemons.
  if [ -n "$SLURMCTLD_PID" ] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null
  fi
  stop_daemon "$SLURMD_PID"
  stop_daemon "$SLURMCTLD_PID"
  stop_daemon "$MUNGED_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs() {
  for log in "$WORK"/log/*; do
    [ -f "$log" ] || continue
    echo "---- $log (last 30 lines)" >&2
    tail -n 30 "$log" >&2
  done
}

fail_start() {
  echo "slurm_localhost: $*" >&2
  show_logs
  exit 3
}

mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool" "$WORK/log"
chmod 700 "$WORK" "$WORK/munge"

#---- munge, with a key of its own -----------------------------------------------------------
MUNGE_SOCKET="$WORK/munge/munge.socket"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
munged --foreground --force \
  --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
  --log-file="$WORK/log/munged.log" >"$WORK/log/munged.stdout" 2>&1 &
MUNGED_PID=$!
for _ in $(seq 1 100); do
  [ -S "$MUNGE_SOCKET" ] && break
  kill -0 "$MUNGED_PID" 2>/dev/null || fail_start "munged exited"
  sleep 0.1
done
munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1 || fail_start "munge round trip failed"

#---- slurm.conf: this host is the controller and the only node --------------------------------
HOST=$(hostname)
NODE_LINE=$(slurmd -C | head -n 1)  # NodeName=<host> CPUs=... RealMemory=...
NODE_RESOURCES=${NODE_LINE#NodeName=* }
PORT=$((20000 + RANDOM % 20000))
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<EOF
# A one-node Slurm on localhost for convsim's tests (written by slurm_localhost.sh).
ClusterName=convsimtest
SlurmctldHost=$HOST
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$HOST $NODE_RESOURCES State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

#---- the daemons, in the foreground of their own background jobs (so we hold their PIDs) ------
slurmctld -D -c -i -f "$SLURM_CONF" >"$WORK/log/slurmctld.stdout" 2>&1 &
SLURMCTLD_PID=$!
slurmd -D -f "$SLURM_CONF" >"$WORK/log/slurmd.stdout" 2>&1 &
SLURMD_PID=$!

state=""
for _ in $(seq 1 600); do
  kill -0 "$SLURMCTLD_PID" 2>/dev/null || fail_start "slurmctld exited"
  kill -0 "$SLURMD_PID" 2>/dev/null || fail_start "slurmd exited"
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null | head -n 1)
  case "$state" in
    idle) break ;;
    down* | drain* | drng*) scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 ;;
  esac
  sleep 0.1
done
[ "$state" = "idle" ] || fail_start "node $HOST did not become idle within 60 s (state '$state')"
echo "slurm_localhost: node $HOST idle ($NODE_RESOURCES); controller port $PORT" >&2

#---- the command ---------------------------------------------------------------------------
timeout --kill-after=5 "$TIMEOUT" "$@"
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "slurm_localhost: '$*' timed out after $TIMEOUT s" >&2
  squeue >&2
  show_logs
  exit 4
fi
if [ $status -ne 0 ]; then
  squeue >&2
  show_logs
fi
exit $status
