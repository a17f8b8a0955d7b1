#!/bin/sh
# SerialBatchJob step wrapper: runs one step of the batch as a child process, with a time limit
# per attempt and retries with a doubling backoff, forwards SIGTERM/SIGINT to it, records its
# outcome in the workspace, writes a one-line termination message, and honours finally steps,
# dependencies, continue-on-error and resume markers.
# POSIX sh only: it runs under dash and busybox ash.
#
#   sh step.sh COMMAND [ARG...]
#
# A failed step does not stop the pod: it records the failure and exits 0, so the steps after it
# record themselves as not run, the finally steps run, and the summary container fails the pod
# naming the first failed step. Only SERIAL_BATCH_STOP_ON_FAILURE (in-place retry by the kubelet,
# or a raw step further on that nothing could keep from running) makes a failure stop the pod.
#
# Environment (set by the SerialBatchJob construct on every step container):
#   SERIAL_BATCH_STEP               step name
#   SERIAL_BATCH_INDEX              zero-padded position in the run order (01, 02, ...)
#   SERIAL_BATCH_TIMEOUT            seconds one attempt may run; 0 = no limit
#   SERIAL_BATCH_KILL_GRACE         seconds between SIGTERM and SIGKILL when the step is stopped
#   SERIAL_BATCH_RETRIES            further attempts after a failure or timeout (default 0)
#   SERIAL_BATCH_RETRY_BACKOFF      seconds before the first retry, doubling for each next one
#   SERIAL_BATCH_RETRY_BACKOFF_MAX  cap of the backoff in seconds
#   SERIAL_BATCH_CONTINUE_ON_ERROR  true: a failure is recorded and the batch goes on
#   SERIAL_BATCH_FINALLY            true: a finally step, which runs whatever happened before it
#   SERIAL_BATCH_DEPENDS_ON         "index-name ..." of the steps it depends on, transitively
#   SERIAL_BATCH_STOP_ON_FAILURE    true: a failure prints the summary and fails the container
#   SERIAL_BATCH_WORKSPACE          the shared workspace directory
#   SERIAL_BATCH_RESULTS            directory of step results: <step>/<result name>
#   SERIAL_BATCH_POD_UID            the pod's uid (the outcome records of this pod are kept apart)
#   SERIAL_BATCH_RESUME             true: skip the step when its done-marker for this run exists
#   SERIAL_BATCH_RUN                the run identity (resume mode): the Job's name unless a re-run names the run it repeats
#   SERIAL_BATCH_JOB_NAME           the Job's name
#   SERIAL_BATCH_JOB_UID            the Job's uid
#   SERIAL_BATCH_TERMINATION_LOG    where the termination message goes
#   SERIAL_BATCH_PLAN               the run plan (one "index name kind role" line per step)
set -eu

step=${SERIAL_BATCH_STEP:?SERIAL_BATCH_STEP is not set}
index=${SERIAL_BATCH_INDEX:?SERIAL_BATCH_INDEX is not set}
limit=${SERIAL_BATCH_TIMEOUT:-0}
grace=${SERIAL_BATCH_KILL_GRACE:-10}
retries=${SERIAL_BATCH_RETRIES:-0}
backoff=${SERIAL_BATCH_RETRY_BACKOFF:-10}
backoff_max=${SERIAL_BATCH_RETRY_BACKOFF_MAX:-300}
continue_on_error=${SERIAL_BATCH_CONTINUE_ON_ERROR:-false}
is_finally=${SERIAL_BATCH_FINALLY:-false}
depends_on=${SERIAL_BATCH_DEPENDS_ON:-}
stop_on_failure=${SERIAL_BATCH_STOP_ON_FAILURE:-false}
workspace=${SERIAL_BATCH_WORKSPACE:?SERIAL_BATCH_WORKSPACE is not set}
results=${SERIAL_BATCH_RESULTS:-$workspace/.serial-batch/results}
pod_uid=${SERIAL_BATCH_POD_UID:-pod}
resume=${SERIAL_BATCH_RESUME:-false}
run=${SERIAL_BATCH_RUN:-}
job_name=${SERIAL_BATCH_JOB_NAME:-}
job_uid=${SERIAL_BATCH_JOB_UID:-}
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

# Writes a file atomically: a reader (or a later pod) sees the old content or the new, never a part.
write_atomic() {
  printf '%s\n' "$2" >"$1.tmp"
  mv -f "$1.tmp" "$1"
}

state="$workspace/.serial-batch"
pod_state="$state/pods/$pod_uid"
record="$pod_state/$index-$step"
mkdir -p "$pod_state" "$results"

attempts=0
write_record() {
  # status exit seconds [attempts]
  write_atomic "$record" "status=$1 exit=$2 seconds=$3 attempts=${4:-$attempts}"
}

summary() {
  SERIAL_BATCH_SUMMARY_UNTIL="$index" sh "$here/summary.sh" >&2 || true
}

if [ "$#" -eq 0 ]; then
  log "step $step has no command"
  message "step $step has no command"
  exit 2
fi

for setting in "TIMEOUT=$limit" "KILL_GRACE=$grace" "RETRIES=$retries" "RETRY_BACKOFF=$backoff" "RETRY_BACKOFF_MAX=$backoff_max"; do
  case ${setting#*=} in '' | *[!0-9]*)
    log "SERIAL_BATCH_${setting%%=*} must be a whole number, got '${setting#*=}'"
    exit 2
    ;;
  esac
done

# Resume mode: the workspace is the run's directory on the claim, named after the run identity.
# The first step of each Job claims it. A new Job with the same name as an earlier one (not a
# re-run: SERIAL_BATCH_RUN is its own name) starts afresh; a re-run that names another run
# takes over that run's directory, workspace and markers.
marker=''
if [ "$resume" = true ]; then
  if [ -z "$run" ] || [ -z "$job_uid" ]; then
    log "resume is on but SERIAL_BATCH_RUN or SERIAL_BATCH_JOB_UID is empty (the pod lacks the Job's labels)"
    message "step $step: no run identity for resume markers"
    exit 2
  fi
  owner=''
  if [ -f "$state/job" ]; then
    owner=$(cat "$state/job")
  fi
  if [ "$owner" != "$job_uid" ]; then
    if [ "$run" != "$job_name" ]; then
      if [ -z "$owner" ]; then
        log "asked to re-run run $run, but the claim holds no unfinished run of that name"
        message "step $step: no unfinished run $run to re-run"
        exit 2
      fi
      log "re-running run $run (Job uid $owner) in Job $job_name: steps done in it are skipped"
    elif [ -n "$owner" ]; then
      log "run directory $run belonged to an earlier Job (uid $owner): this new Job starts afresh"
      for entry in "$workspace"/* "$workspace"/.[!.]* "$workspace"/..?* "$state"/* "$state/pods"/*; do
        case $entry in "$state" | "$state/pods" | "$pod_state") continue ;; esac
        if [ -e "$entry" ] || [ -L "$entry" ]; then
          rm -rf "$entry"
        fi
      done
      mkdir -p "$results"
    fi
    write_atomic "$state/job" "$job_uid"
  fi
  mkdir -p "$state/done"
  # finally steps run in every pod: they keep no marker
  if [ "$is_finally" != true ]; then
    marker="$state/done/$index-$step"
  fi
  if [ -n "$marker" ] && [ -f "$marker" ]; then
    log "step $step already completed in run $run: skipping"
    write_record done-earlier 0 0 0
    message "step $step skipped: completed earlier in run $run"
    exit 0
  fi
fi

# After a failed main step, the main steps after it do not run; finally steps always do.
if [ "$is_finally" != true ] && [ -f "$pod_state/failed" ]; then
  failed_step=$(cat "$pod_state/failed")
  log "step $step not run: step $failed_step failed"
  write_record not-run - - 0
  message "step $step not run: step $failed_step failed"
  exit 0
fi

# A step whose dependency did not succeed is skipped (its dependency continued on error, or was skipped itself).
for dep in $depends_on; do
  dep_status=''
  if [ -f "$pod_state/$dep" ]; then
    read -r dep_field _ <"$pod_state/$dep" || true
    dep_status=${dep_field#status=}
  fi
  case $dep_status in
    '' | ok | done-earlier) ;;
    *)
      dep_name=${dep#*-}
      log "step $step skipped: it depends on $dep_name, which ended $dep_status"
      write_record skipped - - 0
      message "step $step skipped: it depends on $dep_name ($dep_status)"
      exit 0
      ;;
  esac
done

result_dir="$results/$step"
export SERIAL_BATCH_RESULT_DIR="$result_dir"

timed_out=false
terminating=false
interrupted=false
killer=''
watchdog=''
child=''

# shellcheck disable=SC2317 # the trap handlers below are invoked indirectly
# Stops the step: SIGTERM to every process of the step (the wrapper's process group, with the
# wrapper itself ignoring it), then SIGKILL to the step after the grace period.
stop_step() {
  interrupted=true
  if [ "$terminating" = true ] || [ "$timed_out" = true ]; then
    # already stopping the step: a SIGTERM now still ends the retries
    [ "$1" = timeout ] || terminating=true
    return 0
  fi
  if [ "$1" = timeout ]; then
    timed_out=true
    log "step $step exceeded its timeout of ${limit}s: sending SIGTERM to step $step"
  else
    terminating=true
    log "$1: sending SIGTERM to step $step"
  fi
  if [ -z "$child" ]; then
    return 0
  fi
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
on_timeout() { stop_step timeout; }
trap on_term TERM
trap on_int INT
trap on_timeout USR1

# Runs one attempt of the step; sets rc.
run_attempt() {
  rm -rf "$result_dir"
  mkdir -p "$result_dir"
  timed_out=false
  killer=''
  watchdog=''
  attempt_started=$(date +%s)
  "$@" &
  child=$!

  # The watchdog checks every second whether the step is still running (so it never outlives it
  # by more than a second, whatever happens to signals sent to it) and signals the wrapper when
  # the time limit is reached.
  if [ "$limit" -gt 0 ]; then
    wrapper=$$
    deadline=$((attempt_started + limit))
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

  # the helpers are done with the step: SIGKILL cannot be lost the way a signal sent to a subshell
  # that is still starting can
  for helper in $watchdog $killer; do
    kill -KILL "$helper" 2>/dev/null
    wait "$helper" 2>/dev/null
  done
  set -e
  child=''
}

# Sleeps between attempts; a SIGTERM ends the sleep (and the retries).
pause() {
  sleep "$1" &
  child=$!
  set +e
  wait "$child" 2>/dev/null
  for helper in "$child" $killer; do
    kill -KILL "$helper" 2>/dev/null
    wait "$helper" 2>/dev/null
  done
  set -e
  child=''
  killer=''
}

log "step $step ($index) starting: $*"
started=$(date +%s)
max_attempts=$((retries + 1))
delay=$backoff
rc=0
while :; do
  attempts=$((attempts + 1))
  if [ "$max_attempts" -gt 1 ]; then
    log "step $step: attempt $attempts of $max_attempts"
  fi
  run_attempt "$@"
  if [ "$rc" -eq 0 ] || [ "$terminating" = true ] || [ "$attempts" -ge "$max_attempts" ]; then
    break
  fi
  if [ "$timed_out" = true ]; then
    what="timed out after ${limit}s"
  else
    what="failed with exit code $rc"
  fi
  if [ "$delay" -gt "$backoff_max" ]; then
    delay=$backoff_max
  fi
  log "step $step: attempt $attempts of $max_attempts $what; retrying in ${delay}s"
  pause "$delay"
  if [ "$terminating" = true ]; then
    break
  fi
  delay=$((delay * 2))
done
finished=$(date +%s)
seconds=$((finished - started))
tries=''
if [ "$attempts" -gt 1 ]; then
  tries=" (attempt $attempts of $max_attempts)"
fi

if [ "$rc" -eq 0 ] && [ "$terminating" = false ]; then
  if [ -n "$marker" ]; then
    write_atomic "$marker" "run=$run seconds=$seconds"
  fi
  write_record ok 0 "$seconds"
  log "step $step succeeded in ${seconds}s$tries"
  message "step $step succeeded in ${seconds}s$tries"
  exit 0
fi

if [ "$terminating" = true ]; then
  outcome=terminated
  code=$rc
  [ "$code" -ne 0 ] || code=143
  text="step $step was stopped by a signal after ${seconds}s (exit code $code)"
elif [ "$timed_out" = true ]; then
  outcome=timeout
  code=124
  text="step $step timed out after ${seconds}s (limit ${limit}s per attempt, exit code 124)$tries"
else
  outcome=failed
  code=$rc
  text="step $step failed with exit code $rc after ${seconds}s$tries"
fi

# the pod is being stopped (deletion, deadline, eviction): nothing more runs in it
if [ "$outcome" = terminated ]; then
  write_record "$outcome" "$code" "$seconds"
  log "$text"
  message "$text"
  exit "$code"
fi

if [ "$continue_on_error" = true ]; then
  write_record "$outcome-continued" "$code" "$seconds"
  if [ -n "$marker" ]; then
    write_atomic "$marker" "run=$run seconds=$seconds exit=$code"
  fi
  log "$text; continuing (continueOnError)"
  message "$text; continuing (continueOnError)"
  exit 0
fi

write_record "$outcome" "$code" "$seconds"
log "$text"
message "$text"
if [ "$is_finally" != true ] && [ ! -f "$pod_state/failed" ]; then
  write_atomic "$pod_state/failed" "$step"
fi
if [ "$stop_on_failure" = true ]; then
  summary
  exit "$code"
fi
exit 0
