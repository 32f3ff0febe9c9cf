#!/usr/bin/env bash
# One prepared run on a lent GPU machine (issue 14, item 7), and its dry run on lavapipe.
#
#   bash bench/device.sh --pack      here: build, then pack node, the runtime node_modules and
#                                    dist/ into .device-pack/ (git-ignored; name it in `carry`)
#   bash bench/device.sh --dry-run   here: the same steps at small sizes on whatever adapter
#                                    this machine has (lavapipe), to prove the script before
#                                    spending device time
#   bash bench/device.sh             there (the device tool's `run`, carry .device-pack and .gl):
#                                    devices, matmul, kernels, B0 at b16@128, b8@224, b64@224 with
#                                    the tuner on, then the PyTorch eager anchor at the same shapes
#
# Everything lands in $OUT (the device tool brings it back; /tmp/hpa-device-out otherwise).
# Each step has its own time limit so the whole run ends inside the device's 10-minute command
# limit (on the device: 20 + 75 + 60 + 280 + 100 s, plus unpacking); a step that fails or
# times out is reported and the rest still run.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=run
case "${1:-}" in
  --pack) MODE=pack ;;
  --dry-run) MODE=dry ;;
  '') ;;
  *) echo "device.sh: unknown argument '$1' (use --pack, --dry-run or nothing)" >&2; exit 2 ;;
esac
[[ "${HPA_DEVICE_DRY:-}" == 1 ]] && MODE=dry

if [[ $MODE == pack ]]; then
  set -e
  npm run build >/dev/null
  rm -rf .device-pack && mkdir -p .device-pack/stage/node_modules
  xz -T0 -6 -c "$(command -v node)" > .device-pack/node.xz
  # runtime dependencies only (package.json "dependencies"), not the tfjs peers
  for d in commander fast-png webgpu; do cp -r "node_modules/$d" .device-pack/stage/node_modules/; done
  for d in $(node -e "const p=require('./node_modules/fast-png/package.json');console.log(Object.keys(p.dependencies||{}).join(' '))"); do cp -r "node_modules/$d" .device-pack/stage/node_modules/; done
  rm -rf .device-pack/stage/node_modules/webgpu/dist/{darwin,win32}* 2>/dev/null || true
  cp -r dist .device-pack/stage/dist
  tar -C .device-pack/stage -cJf .device-pack/stage.tar.xz node_modules dist && rm -rf .device-pack/stage
  du -sh .device-pack/*
  exit 0
fi

OUT="${OUT:-/tmp/hpa-device-out}"
mkdir -p "$OUT"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/hpa-xdg}"; mkdir -p "$XDG_RUNTIME_DIR"
# the whole tuning queue at the warm-up step's read, so the timed steps run the winners
# (only the first also compiles them: read min/median, not the mean)
export HPA_TUNE=on HPA_CACHE_DIR="$OUT/cache" HPA_TUNE_BUDGET_MS=600000
LOG="$OUT/device.log"
say() { echo "== $*" | tee -a "$LOG"; }

if [[ $MODE == run ]]; then
  # our stack travels: node, dawn.node and the build, unpacked in /tmp
  if [[ -f .device-pack/node.xz ]]; then
    mkdir -p /tmp/hpa-node/bin && xz -dc .device-pack/node.xz > /tmp/hpa-node/bin/node && chmod +x /tmp/hpa-node/bin/node
    export PATH=/tmp/hpa-node/bin:$PATH
  fi
  if [[ -f .device-pack/stage.tar.xz ]]; then
    mkdir -p /tmp/hpa-stage && tar -C /tmp/hpa-stage -xJf .device-pack/stage.tar.xz
    rm -rf node_modules dist && ln -s /tmp/hpa-stage/node_modules node_modules && ln -s /tmp/hpa-stage/dist dist
  fi
  if ! ldconfig -p | grep -q libvulkan && compgen -G '.gl/*.deb' >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  fi
  [[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  SIZES=256,1024,2048,4096; SHAPES=b16x128,b8x224,b64x224; STEPS=5; KERNELS=(); T_MODEL=280; T_KERNELS=60; T_MATMUL=75; T_TORCH=100
else
  SIZES=128,256; SHAPES=b2x64; STEPS=1; KERNELS=(--quick "--only=conv2d stem"); T_MODEL=900; T_KERNELS=600; T_MATMUL=300; T_TORCH=300
fi
command -v node >/dev/null || { echo "device.sh: no node (run --pack here and carry .device-pack)" >&2; exit 1; }

step() { # step <name> <seconds> <command...>: output to $OUT/<name>.txt, status to the log
  local name=$1 secs=$2; shift 2
  say "$name: $* (limit ${secs}s)"
  local t0=$SECONDS
  timeout "$secs" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  say "$name: exit $rc after $((SECONDS - t0)) s"
  tail -n 25 "$OUT/$name.txt"
}

say "mode $MODE, $(date -u +%FT%TZ), $(uname -m), node $(node --version)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$LOG"
step devices 20 node dist/cli/main.js devices
step matmul $T_MATMUL node dist/bench/main.js matmul --sizes=$SIZES --runs=3
step kernels $T_KERNELS node dist/bench/main.js kernels "${KERNELS[@]}"
step model $T_MODEL node dist/bench/main.js model --no-peer --shapes=$SHAPES --steps=$STEPS
if python3 -c 'import torch, torchvision' 2>/dev/null; then
  step torch $T_TORCH python3 bench/peer-torch.py --shapes=$SHAPES --steps=$STEPS
else
  say "torch: PyTorch/torchvision not installed here, the live anchor is skipped (the device image has them)"
fi
say "done; tuning cache: $(ls "$OUT/cache" 2>/dev/null | tr '\n' ' ')"
