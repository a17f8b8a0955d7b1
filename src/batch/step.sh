#!/bin/sh
# SerialBatchJob step wrapper: runs one step of the batch as a child process, with a time limit,
# forwards SIGTERM/SIGINT to it, records its exit code and duration in the workspace, writes a
# one-line termination message, and honours continue-on-error and resume markers.
# POSIX sh only: it runs under dash and busybox ash.
#
#   sh step.sh COMMAND [ARG...]
#
# Environment (set by the SerialBatchJob construct on every step container):
#   SERIAL_BATCH_STEP               step name
#   SERIAL_BATCH_INDEX              zero-padded position in the run order (01, 02, ...)
#   SERIAL_BATCH_TIMEOUT            seconds the step may run; 0 = no limit
#   SERIAL_BATCH_KILL_GRACE         seconds between SIGTERM and SIGKILL when the step is stopped
#   SERIAL_BATCH_CONTINUE_ON_ERROR  true: a failure is recorded and the batch goes on
#   SERIAL_BATCH_WORKSPACE          the shared workspace directory
#   SERIAL_BATCH_RESUME             true: skip the step when its done-marker for this run exists
#   SERIAL_BATCH_RUN_ID             the Job's uid (resume markers are keyed by it)
#   SERIAL_BATCH_TERMINATION_LOG    where the termination message goes
#   SERIAL_BATCH_PLAN               the run plan (one "index name kind" line per step)
set -eu

step=${SERIAL_BATCH_STEP:?SERIAL_BATCH_STEP is not set}
index=${SERIAL_BATCH_INDEX:?SERIAL_BATCH_INDEX is not set}
limit=${SERIAL_BATCH_TIMEOUT:-0}
grace=${SERIAL_BATCH_KILL_GRACE:-10}
continue_on_error=${SERIAL_BATCH_CONTINUE_ON_ERROR:-false}
workspace=${SERIAL_BATCH_WORKSPACE:?SERIAL_BATCH_WORKSPACE is not set}
resume=${SERIAL_BATCH_RESUME:-false}
run_id=${SERIAL_BATCH_RUN_ID:-}
termination_log=${SERIAL_BATCH_TERMINATION_LOG:-/dev/termination-log}
here=${0%/*}
[ "$here" != "$0" ] || here=.

log() {
  printf 'serial-batch: %s\n' "$*" >&2
}

# The termination message: one line, at most 400 bytes, so 22+ steps fit the pod's 12 KiB budget.
message() {
  printf '%s\n' "$1" | cut -c 1-400 >"$termination_log" 2>/dev/null || true
}

state="$workspace/.serial-batch"
results="$state/results"
record="$results/$index-$step"
mkdir -p "$results"

write_record() {
  # status exit seconds
  printf 'status=%s exit=%s seconds=%s\n' "$1" "$2" "$3" >"$record.tmp"
  mv -f "$record.tmp" "$record"
}

summary() {
  SERIAL_BATCH_SUMMARY_UNTIL="$index" sh "$here/summary.sh" >&2 || true
}

if [ "$#" -eq 0 ]; then
  log "step $step has no command"
  message "step $step has no command"
  exit 2
fi

case $limit in '' | *[!0-9]*)
  log "SERIAL_BATCH_TIMEOUT must be a whole number of seconds, got '$limit'"
  exit 2
  ;;
esac
case $grace in '' | *[!0-9]*)
  log "SERIAL_BATCH_KILL_GRACE must be a whole number of seconds, got '$grace'"
  exit 2
  ;;
esac

marker=''
if [ "$resume" = true ]; then
  if [ -z "$run_id" ]; then
    log "resume is on but SERIAL_BATCH_RUN_ID is empty (the pod has no batch.kubernetes.io/controller-uid label)"
    message "step $step: no run id for resume markers"
    exit 2
  fi
  mkdir -p "$state/done/$run_id"
  marker="$state/done/$run_id/$index-$step"
  if [ -f "$marker" ]; then
    log "step $step already completed in an earlier pod of run $run_id: skipping"
    write_record skipped 0 0
    message "step $step skipped: completed earlier in run $run_id"
    exit 0
  fi
fi

timed_out=false
terminating=false
interrupted=false
killer=''
watchdog=''

# shellcheck disable=SC2317 # the trap handlers below are invoked indirectly
# Stops the step: SIGTERM to every process of the step (the wrapper's process group, with the
# wrapper itself ignoring it), then SIGKILL to the step after the grace period.
stop_step() {
  interrupted=true
  if [ "$terminating" = true ]; then
    return 0
  fi
  terminating=true
  log "$1: sending SIGTERM to step $step"
  trap '' TERM
  kill -TERM 0 2>/dev/null || true
  trap on_term TERM
  (
    sleep "$grace" >/dev/null 2>&1
    log "step $step still running ${grace}s after SIGTERM: sending SIGKILL"
    kill -KILL "$child" 2>/dev/null
  ) &
  killer=$!
}
# shellcheck disable=SC2317
on_term() { stop_step 'received SIGTERM'; }
# shellcheck disable=SC2317
on_int() { stop_step 'received SIGINT'; }
# shellcheck disable=SC2317
on_timeout() {
  timed_out=true
  stop_step "step $step exceeded its timeout of ${limit}s"
}
trap on_term TERM
trap on_int INT
trap on_timeout USR1

log "step $step ($index) starting: $*"
started=$(date +%s)
"$@" &
child=$!

# The watchdog checks every second whether the step is still running (so it never outlives it
# by more than a second, whatever happens to signals sent to it) and signals the wrapper when
# the time limit is reached.
if [ "$limit" -gt 0 ]; then
  wrapper=$$
  deadline=$((started + limit))
  (
    while kill -0 "$child" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        kill -USR1 "$wrapper" 2>/dev/null
        exit 0
      fi
      sleep 1
    done
  ) >/dev/null 2>&1 &
  watchdog=$!
fi

# wait returns early when a trapped signal arrives: wait again, the shell keeps the step's status
# for the next wait. When the trap ran just after wait had returned the step's status, the next
# wait finds no such child (127): keep the status the previous wait returned.
set +e
last=''
while :; do
  interrupted=false
  wait "$child" 2>/dev/null
  status=$?
  if [ "$status" -eq 127 ] && [ -n "$last" ] && ! kill -0 "$child" 2>/dev/null; then
    status=$last
    break
  fi
  if [ "$interrupted" = false ]; then
    break
  fi
  last=$status
done
rc=$status
finished=$(date +%s)
seconds=$((finished - started))

# the helpers are done with the step: SIGKILL cannot be lost the way a signal sent to a subshell
# that is still starting can
for helper in $watchdog $killer; do
  kill -KILL "$helper" 2>/dev/null
  wait "$helper" 2>/dev/null
done
set -e

if [ "$rc" -eq 0 ]; then
  write_record ok 0 "$seconds"
  if [ -n "$marker" ]; then
    printf 'run=%s seconds=%s\n' "$run_id" "$seconds" >"$marker"
  fi
  log "step $step succeeded in ${seconds}s"
  message "step $step succeeded in ${seconds}s"
  exit 0
fi

if [ "$timed_out" = true ]; then
  outcome=timeout
  code=124
  text="step $step timed out after ${seconds}s (limit ${limit}s, exit code 124)"
elif [ "$terminating" = true ]; then
  outcome=terminated
  code=$rc
  text="step $step was stopped by a signal after ${seconds}s (exit code $rc)"
else
  outcome=failed
  code=$rc
  text="step $step failed with exit code $rc after ${seconds}s"
fi

if [ "$continue_on_error" = true ] && [ "$outcome" != terminated ]; then
  write_record "$outcome-continued" "$code" "$seconds"
  if [ -n "$marker" ]; then
    printf 'run=%s seconds=%s exit=%s\n' "$run_id" "$seconds" "$code" >"$marker"
  fi
  log "$text; continuing (continueOnError)"
  message "$text; continuing (continueOnError)"
  exit 0
fi

write_record "$outcome" "$code" "$seconds"
log "$text"
message "$text"
summary
exit "$code"
