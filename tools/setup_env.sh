#!/usr/bin/env bash
# Build the project's virtual environment: torch, full mmcv 2.1.0 with compiled ops, mmengine,
# mmpose, mmdet, xtcocotools, pycocotools, then this package in editable mode.
#
# Usage: bash tools/setup_env.sh [VENV_DIR]        (default: .venv; `make env` calls this)
#
# Environment knobs:
#   PYTHON            interpreter that creates the venv (default: python3)
#   TORCH_SPEC        torch/torchvision requirement (default: requirements/torch.txt)
#   EBA_CACHE_DIR     where built wheels are cached (default: ~/.cache/eba_prnetcc_mmpose)
#   MAX_JOBS          parallel compile jobs for mmcv (default: number of cores)
#   FORCE_CUDA=1      build mmcv's CUDA ops even if no GPU is visible (needs nvcc)
#
# The environment is only marked usable (VENV/.eba-setup-complete) after every step and the final
# import check pass. A failure removes the marker, so `make test` / `make demo` never run on a
# half-built environment.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-${VENV:-$ROOT/.venv}}"
VENV="$(realpath -m "$VENV")"  # absolute: the build steps run in other folders
PYTHON="${PYTHON:-python3}"
CACHE="${EBA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/eba_prnetcc_mmpose}"
STAMP="$VENV/.eba-setup-complete"
MMCV_VERSION="2.1.0"
XTCOCO_VERSION="1.14.3"
T0=$(date +%s)

log() { printf '\033[1m[setup %4ss]\033[0m %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '\n\033[31m[setup] ERROR:\033[0m %s\n' "$*" >&2; rm -f "$STAMP"; exit 1; }
trap 'rc=$?; rm -f "$STAMP"; printf "\n\033[31m[setup] FAILED\033[0m at line %s (exit %s): %s\nThe environment in %s is NOT marked usable. Fix the cause above and run the command again.\n" "$LINENO" "$rc" "$BASH_COMMAND" "$VENV" >&2' ERR

# ---------------------------------------------------------------- preflight
command -v "$PYTHON" >/dev/null || die "'$PYTHON' not found. Install Python 3.10-3.12 or set PYTHON=/path/to/python3."
PYV=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$PYV" in
  3.10|3.11|3.12) ;;
  *) die "Python $PYV is not supported (need 3.10, 3.11 or 3.12: torch 2.14 and mmcv 2.1 build for these). Set PYTHON=python3.11." ;;
esac
for tool in gcc g++; do
  command -v "$tool" >/dev/null || die "'$tool' not found: mmcv's ops and xtcocotools are compiled from source. Install a C/C++ compiler (Debian/Ubuntu: apt-get install build-essential)."
done
"$PYTHON" -c 'import sysconfig, os, sys; h = sysconfig.get_paths()["include"]; sys.exit(0 if os.path.exists(os.path.join(h, "Python.h")) else 1)' \
  || die "Python headers (Python.h) are missing for $PYTHON. Install python3-dev (Debian/Ubuntu: apt-get install python${PYV}-dev)."

rm -f "$STAMP"
log "Python $PYV ($("$PYTHON" -c 'import sys; print(sys.executable)')), venv: $VENV, cache: $CACHE"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# ---------------------------------------------------------------- torch and build tools
if [ -n "${TORCH_SPEC:-}" ]; then
  log "installing torch: $TORCH_SPEC"
  # shellcheck disable=SC2086
  "${PIP[@]}" install -q $TORCH_SPEC
else
  log "installing torch (requirements/torch.txt)"
  "${PIP[@]}" install -q -r "$ROOT/requirements/torch.txt"
fi
log "installing build tools (requirements/build.txt)"
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt"
log "installing runtime requirements (requirements/runtime.txt)"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt"

read -r TORCH_V CUDA_V NUMPY_V < <("$PY" -c 'import torch, numpy; print(torch.__version__.split("+")[0], torch.version.cuda or "none", numpy.__version__)')
"$PY" -c "from packaging.version import Version as V; import sys; sys.exit(0 if V('$TORCH_V') >= V('2.0') else 1)" \
  || die "torch $TORCH_V is not supported (mmcv 2.1 / mmpose 1.3 need torch >= 2.0). Unset TORCH_SPEC or ask for torch>=2.0."
WITH_CUDA=0
if [ "${FORCE_CUDA:-0}" = "1" ] || { command -v nvcc >/dev/null && "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; }; then
  command -v nvcc >/dev/null || die "FORCE_CUDA=1 but nvcc is not on PATH. Install the CUDA toolkit matching torch's CUDA $CUDA_V or unset FORCE_CUDA."
  WITH_CUDA=1
fi
OPS_KIND=$([ "$WITH_CUDA" = 1 ] && echo "cuda$CUDA_V" || echo cpu)
log "torch $TORCH_V (CUDA runtime $CUDA_V), numpy $NUMPY_V, mmcv ops: $OPS_KIND"

# ---------------------------------------------------------------- cached source builds
# build_cached NAME VERSION KEY PATCH_FN EXTRA_ENV...
# Builds NAME==VERSION from its PyPI sdist into a wheel cached under $CACHE/wheels/KEY/ and installs
# it. The key holds everything the binary depends on, so a torch/numpy/Python change rebuilds.
build_cached() {
  local name=$1 version=$2 key=$3 patch_fn=$4
  local dir="$CACHE/wheels/$key"
  local whl
  whl=$(ls "$dir"/"${name}"-"${version}"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$whl" ]; then
    log "$name $version: using cached wheel $whl"
  else
    local work; work=$(mktemp -d)
    log "$name $version: downloading sdist"
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "$name==$version" -d "$work/sdist"
    tar -xzf "$work"/sdist/*.tar.gz -C "$work"
    local src; src=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name "${name}-*" | head -n 1)
    [ -n "$patch_fn" ] && "$patch_fn" "$src"
    log "$name $version: building wheel (this is the slow step; it is cached for next time)"
    (cd "$src" && "${PIP[@]}" wheel -q --no-deps --no-build-isolation --no-cache-dir . -w "$work/dist") \
      || die "building $name $version failed (see the compiler output above). Check that gcc/g++ >= 10 are installed; for CUDA builds, that nvcc matches torch's CUDA $CUDA_V."
    mkdir -p "$dir"
    cp "$work"/dist/*.whl "$dir"/
    rm -rf "$work"
    whl=$(ls "$dir"/"${name}"-"${version}"-*.whl | head -n 1)
  fi
  "${PIP[@]}" install -q --no-deps --force-reinstall "$whl"
}

patch_mmcv() {
  # torch >= 2.6 headers need C++20 (torch 2.14 requires it), mmcv 2.1.0 hard-codes -std=c++17.
  local cxx
  cxx=$("$PY" -c 'import torch; from packaging.version import Version as V; print("c++20" if V(torch.__version__.split("+")[0]) >= V("2.6") else "c++17")')
  sed -i "s/'-std=c++17'/'-std=$cxx'/g; s/'-std=c++14'/'-std=$cxx'/g" "$1/setup.py"
  grep -q -- "-std=$cxx" "$1/setup.py" || die "could not set the C++ standard in mmcv's setup.py (layout changed?)"
}

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(0 if mmcv.__version__ == '$MMCV_VERSION' else 1)" 2>/dev/null; then
  log "mmcv $MMCV_VERSION with ops already installed"
else
  export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
  if [ "$WITH_CUDA" = 1 ]; then export FORCE_CUDA=1; else export FORCE_CUDA=0; fi
  build_cached mmcv "$MMCV_VERSION" "mmcv-$MMCV_VERSION-py$PYV-torch$TORCH_V-$OPS_KIND" patch_mmcv
fi

# xtcocotools: PyPI's wheel was built against numpy 1 and breaks under numpy 2 ("dtype size changed").
if "$PY" -c "import xtcocotools.mask" 2>/dev/null; then
  log "xtcocotools already importable"
else
  build_cached xtcocotools "$XTCOCO_VERSION" "xtcocotools-$XTCOCO_VERSION-py$PYV-numpy$NUMPY_V" ""
fi

# ---------------------------------------------------------------- OpenMMLab packages, this package, tests
log "installing mmpose and mmdet (--no-deps, requirements/openmmlab.txt)"
"${PIP[@]}" install -q --no-deps -r "$ROOT/requirements/openmmlab.txt"
log "installing eba_prnetcc_mmpose (editable) and test tools"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"
"${PIP[@]}" install -q -r "$ROOT/requirements/tests.txt"

# ---------------------------------------------------------------- verify
log "checking imports"
"$PY" - <<'EOF' || die "the import check failed: the package named above is broken. Delete the venv and the cached wheel for it (under EBA_CACHE_DIR) and run again."
import importlib, sys
fixes = {
    'mmcv.ops': 'mmcv was built without its compiled ops; rerun the set-up (MMCV_WITH_OPS=1 is set by it).',
    'xtcocotools.coco': 'xtcocotools does not match numpy; it must be built from source against the installed numpy.',
}
versions = {}
for name in ['torch', 'torchvision', 'numpy', 'mmengine', 'mmcv', 'mmcv.ops', 'mmdet', 'mmdet.models',
             'mmpose', 'mmpose.models', 'xtcocotools.coco', 'pycocotools.coco', 'eba_prnetcc_mmpose']:
    try:
        mod = importlib.import_module(name)
    except Exception as e:  # noqa: BLE001 - report and fail
        print(f'[setup] import {name} FAILED: {type(e).__name__}: {e}', file=sys.stderr)
        print(f'[setup] fix: {fixes.get(name, "reinstall it with make env")}', file=sys.stderr)
        sys.exit(1)
    if '.' not in name:
        versions[name] = getattr(mod, '__version__', '?')
import torch
print('[setup] ' + ', '.join(f'{k} {v}' for k, v in versions.items()))
print(f'[setup] torch CUDA available: {torch.cuda.is_available()}')
EOF
date -u +%FT%TZ > "$STAMP"
trap - ERR
log "done: environment ready in $VENV ($(( $(date +%s) - T0 )) s)"
