#!/usr/bin/env bash
# The headline ratio measured back to back, alternating, on a noisy shared machine:
# 784-256-128-10 at batch 256, TensorFlow.js-wasm (1 thread) vs shardgrad (1 thread; 1 worker with
# 16 and 4 virtual shards). Needs `pnpm build` and the anchors set up (bench/anchors.sh).
#   bash bench/same-sitting.sh [rounds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${ANCHORS_WORK:-/tmp/anchors-work}"
rounds="${1:-3}"
pick() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().split('RESULT ')[-1] if 'RESULT' in sys.argv[1] else sys.stdin.read().strip().splitlines()[-1]); s=d['samplesPerSec']; print(round(s['median'] if isinstance(s,dict) else s))" "$1"; }
for r in $(seq "$rounds"); do
  tf=$(cd "$work" && node run-tfjs.mjs --backend wasm --arch B --batch 256 --mode manual --epochs 2 2>/dev/null | pick RESULT)
  one=$(node "$here/run.mjs" --child train --arch B --batch 256 --kernel wasm-relaxed --rows 8000 --reps 5 | pick child)
  w16=$(node "$here/run.mjs" --child workers --arch B --batch 256 --workers 1 --kernel wasm --shards 16 | pick child)
  w4=$(node "$here/run.mjs" --child workers --arch B --batch 256 --workers 1 --kernel wasm --shards 4 | pick child)
  w2=$(node "$here/run.mjs" --child workers --arch B --batch 256 --workers 2 --kernel wasm --shards 4 | pick child)
  echo "round $r: tfjs-wasm $tf | shardgrad 1 thread $one ($(python3 -c "print(f'{$one/$tf:.1f}')")×) | 1 worker V=16 $w16 ($(python3 -c "print(f'{$w16/$tf:.1f}')")×) | 1 worker V=4 $w4 ($(python3 -c "print(f'{$w4/$tf:.1f}')")×) | 2 workers V=4 $w2 | load $(cut -d' ' -f1 /proc/loadavg)"
done
