# Sourced by the profile scripts: start_eg PUBDIR LOG [VAR=value ...] starts the published
# EgressGuard on $WORK/eg-prof.json (the realistic policy perf-connect writes) with a fresh data
# folder and decision log, the given environment and $EGENV, sets EG to its PID, and returns once
# it listens on $PORT. The caller stops it by that PID.
start_eg() {
  local pub=$1 log=$2; shift 2
  rm -rf "$WORK/eg-prof-data" "$WORK/logs/eg-prof-decisions.jsonl"
  # shellcheck disable=SC2086 # EGENV is a list of VAR=value words
  env "$@" ${EGENV:-} setsid nohup dotnet "$pub/EgressGuard.dll" --config "$WORK/eg-prof.json" >"$WORK/logs/$log" 2>&1 </dev/null &
  EG=$!
  for _ in $(seq 1 300); do ss -ltn | grep -q "127.0.0.1:$PORT " && break; sleep 0.1; done
}
