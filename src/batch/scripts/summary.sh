#!/bin/sh
# SerialBatchJob run summary: prints one line per step of the run plan with its status, exit
# code, duration and attempts (from the records the step wrapper wrote for this pod), the
# results the steps left, then a total, and writes a one-line termination message that names the
# first failed step. Exits 1 when a main step failed (or a finally step did), so the Job fails.
# POSIX sh only: runs under dash and busybox ash.
#
# Run by the final `summary` container, and by the step wrapper when a failure stops the pod
# (SERIAL_BATCH_STOP_ON_FAILURE: then SERIAL_BATCH_SUMMARY_UNTIL is the failed step's index and
# the steps after it are listed as not run).
#
# Environment: SERIAL_BATCH_WORKSPACE, SERIAL_BATCH_RESULTS, SERIAL_BATCH_POD_UID,
# SERIAL_BATCH_PLAN (default: plan next to this script), SERIAL_BATCH_TERMINATION_LOG,
# SERIAL_BATCH_SUMMARY_UNTIL, SERIAL_BATCH_CLEAN_UP (true: empty the workspace after a run
# without failure; resume mode, where the workspace is the run's directory on a claim).
set -eu
set -f

workspace=${SERIAL_BATCH_WORKSPACE:?SERIAL_BATCH_WORKSPACE is not set}
here=${0%/*}
[ "$here" != "$0" ] || here=.
plan=${SERIAL_BATCH_PLAN:-$here/plan}
until_index=${SERIAL_BATCH_SUMMARY_UNTIL:-}
termination_log=${SERIAL_BATCH_TERMINATION_LOG:-/dev/termination-log}
results=${SERIAL_BATCH_RESULTS:-$workspace/.serial-batch/results}
records="$workspace/.serial-batch/pods/${SERIAL_BATCH_POD_UID:-pod}"

if [ ! -r "$plan" ]; then
  echo "serial-batch: run plan $plan is missing" >&2
  exit 2
fi

total=0
ok=0
continued=0
done_earlier=0
skipped=0
not_run=0
failed=''
finally_failed=''
continued_names=''
skipped_names=''

printf '%-4s %-50s %-20s %5s %8s %5s\n' '#' STEP STATUS EXIT SECONDS TRIES
while read -r index name kind role; do
  [ -n "$index" ] || continue
  total=$((total + 1))
  status='' code='-' seconds='-' tries='-'
  if [ -f "$records/$index-$name" ]; then
    read -r f1 f2 f3 f4 <"$records/$index-$name" || true
    for field in $f1 $f2 $f3 $f4; do
      case $field in
        status=*) status=${field#status=} ;;
        exit=*) code=${field#exit=} ;;
        seconds=*) seconds=${field#seconds=} ;;
        attempts=*) tries=${field#attempts=} ;;
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
    done-earlier) done_earlier=$((done_earlier + 1)) ;;
    skipped)
      skipped=$((skipped + 1))
      skipped_names="$skipped_names $name"
      ;;
    *-continued)
      continued=$((continued + 1))
      continued_names="$continued_names $name(exit $code)"
      ;;
    not-run) not_run=$((not_run + 1)) ;;
    *)
      if [ "$role" = finally ]; then
        finally_failed="$finally_failed, finally step $name failed (exit code $code, $status)"
      elif [ -z "$failed" ]; then
        failed="$name (exit code $code, $status)"
      fi
      ;;
  esac
  printf '%-4s %-50s %-20s %5s %8s %5s\n' "$index" "$name" "$status" "$code" "$seconds" "$tries"
done <"$plan"

# step results: the first line of each, at most 200 bytes, in run order
while read -r index name kind role; do
  if [ -z "$index" ] || [ ! -d "$results/$name" ]; then
    continue
  fi
  set +f
  for file in "$results/$name"/*; do
    [ -f "$file" ] || continue
    value=$(head -n 1 "$file" | cut -c 1-200)
    printf 'result %s.%s = %s\n' "$name" "${file##*/}" "$value"
  done
  set -f
done <"$plan"

line="$total steps: $ok ok"
if [ "$done_earlier" -gt 0 ]; then line="$line, $done_earlier done earlier in this run"; fi
if [ "$continued" -gt 0 ]; then line="$line, $continued failed and continued:$continued_names"; fi
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped (a dependency did not succeed):$skipped_names"; fi
if [ -n "$failed" ]; then line="$line, failed at $failed"; fi
if [ "$not_run" -gt 0 ]; then line="$line, $not_run not run"; fi
line="$line$finally_failed"
printf 'serial-batch: %s\n' "$line"

if [ -z "$until_index" ]; then
  # the failure first: the termination message is cut at 400 bytes
  if [ -n "$failed" ]; then
    first="failed at $failed; $line"
  else
    first=$line
  fi
  printf '%s\n' "$first" | cut -c 1-400 >"$termination_log" 2>/dev/null || true
fi
if [ -n "$failed" ] || [ -n "$finally_failed" ]; then
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
