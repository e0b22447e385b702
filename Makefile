# Two commands do all the set-up on a fresh machine with Python and pip:
#   make demo   — create .venv, install examqa, grade the bundled sample sheets and run the tiny model end to end
#   make test   — create .venv, install examqa + test tools and vLLM (own venv), run ruff, mypy and pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.examqa-installed

.PHONY: demo test lint venv vllm-venv wheel clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch (an unpinned torch may pull a multi-GB CUDA build).
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[hf,dev]"
	touch $(STAMP)

venv: $(STAMP)

vllm-venv:
	bash scripts/vllm-venv.sh

demo: $(STAMP)
	$(BIN)/examqa exams
	@echo; echo "== Grading the bundled sample sheet (customs broker) =="
	$(BIN)/examqa grade customs-broker --bank exams/samples/customs-broker.jsonl \
		--answers exams/samples/customs-broker-sheet.csv
	@echo; echo "== Grading the bundled sample sheet (loss adjuster) =="
	$(BIN)/examqa grade loss-adjuster --bank exams/samples/loss-adjuster.jsonl \
		--answers exams/samples/loss-adjuster-sheet.csv
	@echo; echo "== A model run, end to end, on the tiny RANDOM-WEIGHT EXAONE-4.0 model =="
	@echo "   (it demonstrates the pipeline — prompts, reasoning mode, parsing, run store, reports — not a score)"
	$(BIN)/examqa grade loss-adjuster --bank exams/samples/loss-adjuster.jsonl \
		--model "$$($(BIN)/examqa tiny-model)" --max-new-tokens 48 --temperature 0 \
		--out runs/demo-$$(date +%Y%m%d-%H%M%S)
	@echo; echo "The real thing (a GPU, the weights from the Hub):"
	@echo "  examqa grade customs-broker --bank YOUR_BANK --model LGAI-EXAONE/EXAONE-4.0-1.2B"
	@echo "  examqa grade customs-broker --bank YOUR_BANK --model LGAI-EXAONE/EXAONE-4.0-32B --samples 4"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: $(STAMP) vllm-venv lint
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest

# The wheel a user installs (pip install 'dist/examqa-VERSION-py3-none-any.whl[hf]'); tests/test_packaging.py
# builds the same wheel and grades a sheet from it outside the checkout.
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -q -w dist .
	@ls dist/examqa-*.whl

clean:
	rm -rf $(VENV) runs dist .pytest_cache .mypy_cache .ruff_cache
