#!/usr/bin/env bash
# Runs the anchor systems (TensorFlow.js wasm/cpu, plain JS loops, PyTorch + OpenBLAS) on the same
# shapes and data as `pnpm bench`, appending their RESULT lines to bench/results/anchors.jsonl,
# which bench/run.mjs reads to print ratios. Run it right before or after `pnpm bench`, same machine.
#   bash bench/anchors/setup.sh   # once (Debian torch + OpenBLAS, tfjs; copies bench/anchors/ to /tmp/anchors-work)
#   bash bench/anchors.sh [--quick]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${ANCHORS_WORK:-/tmp/anchors-work}"
out="$here/results/anchors.jsonl"
[ -d "$work" ] || { echo "anchors: $work missing: run bash bench/anchors/setup.sh first" >&2; exit 2; }
mkdir -p "$here/results"
# the first line says when and where: pnpm bench prints it next to the ratios
printf '{"bench":"meta","date":"%s","host":"%s","cpu":"%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" > "$out"
export ANCHORS_RESULTS="$out"
epochs=3; torch_epochs=10
[ "${1:-}" = "--quick" ] && { epochs=2; torch_epochs=5; }
cd "$work"
for arch in A B; do
  for batch in 64 256; do
    node run-tfjs.mjs --backend wasm --arch "$arch" --batch "$batch" --mode manual --epochs "$epochs"
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 run-torch.py train --arch "$arch" --batch "$batch" --threads 1 --epochs "$torch_epochs"
  done
  node naive.mjs --arch "$arch" --batch 256 --epochs 2
done
node gemm.mjs --system naive --reps 5
node gemm.mjs --system tfjs-wasm --reps 5
OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 run-torch.py gemm --threads 1 --reps 5
echo "anchors: results in $out"
