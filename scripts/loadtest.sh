#!/usr/bin/env bash
# make loadtest: start zwbot on a spare port with a WeChat account of its own (safe mode; its
# customer-service API is served by the load test itself on API_PORT), run `zwbot loadtest`, stop it. With ZWBOT_DATABASE_URL on
# PostgreSQL and ZWBOT_REDIS_URL set it runs WORKERS workers (default 2); otherwise one process.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${LOADTEST_PORT:-5099}
CITIZENS=${CITIZENS:-200}
WORKERS=${WORKERS:-2}
export ZWBOT_WECHAT_TOKEN=loadtest ZWBOT_WECHAT_APPID=wxloadtest000001
export ZWBOT_WECHAT_AES_KEY=$(.venv/bin/python -c "import secrets, string; print(''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43)))")
API_PORT=${LOADTEST_API_PORT:-5098}
export ZWBOT_WECHAT_SECRET=loadtest-secret ZWBOT_WECHAT_API_BASE=http://127.0.0.1:$API_PORT
export ZWBOT_STATE_DIR=${ZWBOT_STATE_DIR:-$PWD/.zwbot-loadtest}
args=()
if [[ "${ZWBOT_DATABASE_URL:-}" == postgres* && -n "${ZWBOT_REDIS_URL:-}" ]]; then args=(--workers "$WORKERS"); fi
.venv/bin/zwbot run --port "$PORT" "${args[@]}" > "$ZWBOT_STATE_DIR.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$ZWBOT_STATE_DIR.log"; exit 1; }
  sleep 1
done
.venv/bin/zwbot loadtest --url "http://127.0.0.1:$PORT" --citizens "$CITIZENS" --api-port "$API_PORT" "$@"
