# Two commands do all the set-up on a fresh machine with Python and pip:
#   make demo   — create .venv, install examqa, grade the bundled sample sheets and run the tiny model end to end
#   make test   — create .venv, install examqa + test tools and vLLM (own venv, with examqa installed beside
#                 it for --backend vllm), run ruff, mypy, the import contracts (lint-imports) and pytest
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

DEMO := runs/demo-$(shell date +%Y%m%d-%H%M%S)

demo: $(STAMP)
	$(BIN)/examqa exams
	@echo; echo "== One student's sheet (customs broker): the verdict, and what it takes to pass =="
	$(BIN)/examqa grade customs-broker --bank exams/samples/papers/customs-broker.jsonl \
		--answers exams/samples/customs-broker-sheet.csv
	@echo; echo "== A class of 300 (simulated) on a 120-item paper with one wrong key planted: the cohort report =="
	$(BIN)/python bench/cohort.py simulate $(DEMO)/class.csv --students 300 --plant-key 017:3 $(DEMO)/bank-wrong-key.jsonl
	$(BIN)/examqa grade loss-adjuster --bank $(DEMO)/bank-wrong-key.jsonl --answers $(DEMO)/class.csv \
		--html $(DEMO)/cohort.html --csv-out $(DEMO)/students.csv
	@echo; echo "== The suite: the fourteen sample papers, the tiny RANDOM-WEIGHT EXAONE-4.0 model, KMMLU-Pro's protocol =="
	@echo "   (it demonstrates the pipeline — prompts, parsing, run store, reports, the law's verdict beside the"
	@echo "   paper's rule — not a score)"
	$(BIN)/examqa grade all --bank exams/samples/papers --model "$$($(BIN)/examqa tiny-model)" \
		--protocol kmmlu-pro --max-new-tokens 48 --seed 7 --out $(DEMO)/suite
	@echo; echo "== What reasoning changed on one exam, and whether it is real =="
	$(BIN)/examqa grade customs-broker --bank exams/samples/papers \
		--model "$$($(BIN)/examqa tiny-model)" --protocol kmmlu-pro --no-thinking --max-new-tokens 48 --seed 7 \
		--out $(DEMO)/customs-non-reasoning > /dev/null
	$(BIN)/examqa compare $(DEMO)/customs-non-reasoning $(DEMO)/suite/customs-broker/reasoning \
		--html $(DEMO)/compare.html
	@echo; echo "Reports: $(DEMO)/suite/suite-report.html, $(DEMO)/cohort.html, $(DEMO)/compare.html"
	@echo "The real thing (a GPU, the weights from the Hub):"
	@echo "  examqa grade all --bank kmmlu-pro.jsonl --model LGAI-EXAONE/EXAONE-4.0-32B --modes reasoning,non-reasoning"
	@echo "  examqa grade all --bank kmmlu-pro.jsonl --backend openai --base-url http://127.0.0.1:8000/v1 --model exaone \\"
	@echo "      --protocol kmmlu-pro --modes reasoning,non-reasoning   # the paper's table: law / paper's rule"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo   # the layers, cycles and private modules (docs/architecture.md)

test: $(STAMP) vllm-venv lint
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest

# The wheel a user installs (pip install 'dist/examqa-VERSION-py3-none-any.whl[hf]'); tests/test_packaging.py
# builds the same wheel and grades a sheet from it outside the checkout.
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -q -w dist .
	@ls dist/examqa-*.whl

clean:
	rm -rf $(VENV) runs dist .pytest_cache .mypy_cache .ruff_cache
