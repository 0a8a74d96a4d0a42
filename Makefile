.PHONY: run test lint bench loadtest
PORT ?= 5005

run:  ## install and start zwbot with the Xi'an sample data (SQLite) at http://127.0.0.1:$(PORT)/
	scripts/setup.sh
	.venv/bin/zwbot run --port $(PORT)

test:  ## install everything the tests need and run the whole suite on SQLite and PostgreSQL
	scripts/test.sh

lint:  ## ruff and mypy, as the test command runs them
	scripts/setup.sh test
	.venv/bin/ruff check bot actions tests
	.venv/bin/mypy

bench:  ## measure speed and memory on this machine (installs wrk, the load generator)
	scripts/setup.sh
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	.venv/bin/zwbot bench

loadtest:  ## 200 simulated WeChat citizens against a zwbot started for it (two workers on PostgreSQL + Redis)
	scripts/setup.sh
	scripts/loadtest.sh
