#!/usr/bin/env bash
# The whole test suite, on SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
PG_URL=${ZWBOT_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}

echo "== ruff and mypy =="
.venv/bin/ruff check bot actions tests
.venv/bin/mypy
echo "== tests on SQLite =="
.venv/bin/python -m pytest -q "$@"
echo "== tests on PostgreSQL ($PG_URL) =="
ZWBOT_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -q "$@"
