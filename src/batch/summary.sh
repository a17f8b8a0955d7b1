#!/bin/sh
# SerialBatchJob run summary: prints one line per step of the run plan with its status, exit
# code and duration (from the records the step wrapper wrote into the workspace), then a total,
# and writes a one-line termination message. POSIX sh only: runs under dash and busybox ash.
#
# Run by the final `summary` container once every step has finished, and by the step wrapper
# when a step fails (then SERIAL_BATCH_SUMMARY_UNTIL is the failed step's index and the steps
# after it are listed as not run).
#
# Environment: SERIAL_BATCH_WORKSPACE, SERIAL_BATCH_PLAN (default: plan next to this script),
# SERIAL_BATCH_TERMINATION_LOG, SERIAL_BATCH_SUMMARY_UNTIL, SERIAL_BATCH_CLEAN_UP (true: empty the
# workspace after a run without failure; resume mode, where the workspace is on a claim).
set -eu
set -f

workspace=${SERIAL_BATCH_WORKSPACE:?SERIAL_BATCH_WORKSPACE is not set}
here=${0%/*}
[ "$here" != "$0" ] || here=.
plan=${SERIAL_BATCH_PLAN:-$here/plan}
until_index=${SERIAL_BATCH_SUMMARY_UNTIL:-}
termination_log=${SERIAL_BATCH_TERMINATION_LOG:-/dev/termination-log}
results="$workspace/.serial-batch/results"

if [ ! -r "$plan" ]; then
  echo "serial-batch: run plan $plan is missing" >&2
  exit 2
fi

total=0
ok=0
continued=0
skipped=0
not_run=0
failed=''
continued_names=''

printf '%-4s %-50s %-20s %5s %8s\n' '#' STEP STATUS EXIT SECONDS
while read -r index name kind; do
  [ -n "$index" ] || continue
  total=$((total + 1))
  status='' code='-' seconds='-'
  if [ -f "$results/$index-$name" ]; then
    read -r f1 f2 f3 <"$results/$index-$name" || true
    for field in $f1 $f2 $f3; do
      case $field in
        status=*) status=${field#status=} ;;
        exit=*) code=${field#exit=} ;;
        seconds=*) seconds=${field#seconds=} ;;
      esac
    done
  elif [ -n "$until_index" ] && [ "$index" -gt "$until_index" ]; then
    status=not-run
  elif [ "$kind" = raw ]; then
    # raw steps run without the wrapper: reaching this point means the kubelet saw them succeed
    status='ok-raw'
    code=0
  else
    status=not-run
  fi
  case $status in
    ok | ok-raw) ok=$((ok + 1)) ;;
    skipped) skipped=$((skipped + 1)) ;;
    *-continued)
      continued=$((continued + 1))
      continued_names="$continued_names $name(exit $code)"
      ;;
    not-run) not_run=$((not_run + 1)) ;;
    *) failed="$name (exit code $code, $status)" ;;
  esac
  printf '%-4s %-50s %-20s %5s %8s\n' "$index" "$name" "$status" "$code" "$seconds"
done <"$plan"

line="$total steps: $ok ok"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped (done earlier)"; fi
if [ "$continued" -gt 0 ]; then line="$line, $continued failed and continued:$continued_names"; fi
if [ -n "$failed" ]; then line="$line, failed at $failed"; fi
if [ "$not_run" -gt 0 ]; then line="$line, $not_run not run"; fi
printf 'serial-batch: %s\n' "$line"

if [ -z "$until_index" ]; then
  printf '%s\n' "$line" | cut -c 1-400 >"$termination_log" 2>/dev/null || true
fi
if [ -n "$failed" ]; then
  exit 1
fi

# resume mode: the run's directory on the claim is no longer needed once every step has finished
if [ -z "$until_index" ] && [ "${SERIAL_BATCH_CLEAN_UP:-false}" = true ]; then
  set +f
  rm -rf "${workspace:?}"/* "$workspace"/.[!.]* "$workspace"/..?*
  set -f
  printf 'serial-batch: removed the run directory contents of %s\n' "$workspace"
fi
exit 0
