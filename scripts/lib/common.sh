# Shared by scripts/test and scripts/dev: the project venv and the AWS emulator.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.roster"
# Tests poll the handlers on test threads (2 MiB stacks by default); the debug builds of the
# handlers' nested state machines need more. The functions themselves serve on the main
# thread (8 MiB), so this only brings the tests level with them.
export RUST_MIN_STACK="${RUST_MIN_STACK:-8388608}"

log() { printf '\033[1m[roster]\033[0m %s\n' "$*" >&2; }

# Creates .venv with the pinned tools; reinstalls only when scripts/requirements.txt changes.
ensure_venv() {
  local stamp="$VENV/.requirements.sha256"
  local want
  want="$(sha256sum "$ROOT/scripts/requirements.txt" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  log "installing the pinned Python tools into .venv (first run: about two minutes)"
  python3 -m venv "$VENV"
  # One line per package, so a first run shows progress instead of going silent.
  "$VENV/bin/pip" install --disable-pip-version-check --progress-bar off -r "$ROOT/scripts/requirements.txt" \
    | { grep --line-buffered -E '^(Collecting|Installing|Successfully)' >&2 || true; }
  echo "$want" > "$stamp"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the single-threaded moto server on 127.0.0.1:$1, logging to $2; sets EMULATOR_PID.
start_emulator() {
  local port="$1" logfile="$2"
  "$VENV/bin/python" "$ROOT/scripts/lib/moto_server.py" 127.0.0.1 "$port" >"$logfile" 2>&1 &
  EMULATOR_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/moto-api/data.json" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      log "the emulator exited; its log:"; cat "$logfile" >&2
      return 1
    fi
    sleep 0.2
  done
  log "the emulator did not answer on port $port within 20 s"
  return 1
}

stop_emulator() {
  if [[ -n "${EMULATOR_PID:-}" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
}

# Exports what the SDK, the AWS CLI and the tests need to reach the emulator on port $1.
export_aws_env() {
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_DEFAULT_REGION="$AWS_REGION"
  export AWS_ACCESS_KEY_ID="testing"
  export AWS_SECRET_ACCESS_KEY="testing"
  export ROSTER_TABLE="${ROSTER_TABLE:-roster}"
  export ROSTER_IMPORT_BUCKET="${ROSTER_IMPORT_BUCKET:-roster-imports}"
  export ROSTER_TOPIC_NAME="${ROSTER_TOPIC_NAME:-roster-activation}"
  export ROSTER_EMAIL_FROM="${ROSTER_EMAIL_FROM:-no-reply@roster.example}"
  export ROSTER_IMPORT_QUEUE_NAME="${ROSTER_IMPORT_QUEUE_NAME:-roster-import-continuations}"
}

# Creates the table, bucket, queue, topic and e-mail identity from infra/template.yaml;
# exports ROSTER_TOPIC_ARN and ROSTER_IMPORT_QUEUE_URL.
provision() {
  local out
  out="$("$VENV/bin/python" "$ROOT/scripts/lib/provision.py" "$ROOT/infra/template.yaml")"
  ROSTER_TOPIC_ARN="$(sed -n 1p <<<"$out")"
  ROSTER_IMPORT_QUEUE_URL="$(sed -n 2p <<<"$out")"
  export ROSTER_TOPIC_ARN ROSTER_IMPORT_QUEUE_URL
}
