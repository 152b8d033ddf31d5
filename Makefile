# Conveniences; the README gives the same commands without make.
.PHONY: setup demo test lint check

setup:
	python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"

demo:
	.venv/bin/liushou demo

test:
	.venv/bin/python -m pytest -q

lint:
	.venv/bin/ruff check liushou tests
	.venv/bin/ruff format --check liushou tests
	.venv/bin/mypy liushou

check: lint test
