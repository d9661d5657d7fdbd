# The two commands of README.md: `make video` renders the default storyboard, `make test` runs the tests.
# Each installs what it needs on first use (scripts/bootstrap.sh).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup video test lint format bench
setup:
	@scripts/bootstrap.sh

video: setup
	$(BIN)/noise2image render storyboard.yaml

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check render scenes tests bench
	$(BIN)/ruff format --check render scenes tests bench

format: setup
	$(BIN)/ruff format render scenes tests bench

bench: setup
	$(BIN)/python bench/generation.py
