#!/usr/bin/env bash
# Runs ON the lent GPU machine (prepared by scripts/device/prepare.sh): trains the `gpu` preset
# from scratch (its log gives steps/s: the throughput), evaluates it on 200 prompts, and leaves
# the model folder in $OUT as 15 MB parts (the whole call takes about 8 minutes):
#   cat model.tar.part-* | tar xf - -C assets/models/tiny-prx
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/.carry/site:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1
nvidia-smi --query-gpu=name --format=csv,noheader
timeout 560 python3 -m render.cli train-model --preset gpu --out /tmp/tiny-prx --no-resume --eval 200 2>&1 | tee "$OUT/train.log"
rc=$?
cd /tmp/tiny-prx && rm -rf checkpoints && tar cf - . | split -b 15M - "$OUT/model.tar.part-"
exit $rc
