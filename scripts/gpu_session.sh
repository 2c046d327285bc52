#!/usr/bin/env bash
# Spend a lent CUDA GPU on runs, not on setup: every step is one command that
# checkpoints as it goes (a step cut off by a time limit resumes when run again)
# and writes its result file.
#
#   bash scripts/gpu_session.sh STEP [STEP ...]
#
# STEP is one of
#   check        torch, CUDA and the data set this machine sees
#   tests        the Part IV tests, the CUDA ones included          -> gpu_tests.log
#   bench        the pipeline benchmark on the GPU                  -> bench_pipeline_cuda.json
#   NAME         a Part IV study at the full profile, e.g. alexnet_study, a_cnn_studies,
#                tutorial_optimizers (python -m backprop_book.torch_nn.experiments run NAME)
#                                                                    -> NAME.json
# Result files land in docs/results/part4/ and, when $OUT is set, are copied there.
# Checkpoints go to $BACKPROP_BOOK_RUNS (default /tmp/backprop_book_runs/part4).
# CIFAR-10: $BACKPROP_BOOK_CIFAR10, else .gpu/cifar10-jpeg.tar.gz in the checkout (copy
# the shared archive there and list the folder in .git/info/exclude), else ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -z "${BACKPROP_BOOK_CIFAR10:-}" ] && [ -f .gpu/cifar10-jpeg.tar.gz ]; then
  export BACKPROP_BOOK_CIFAR10="$PWD/.gpu/cifar10-jpeg.tar.gz"
fi
export BACKPROP_BOOK_CACHE="${BACKPROP_BOOK_CACHE:-/tmp/backprop_book_cache}"
runs="${BACKPROP_BOOK_RUNS:-/tmp/backprop_book_runs/part4}"
py="${PYTHON:-python3}"
out="${OUT:-}"

keep() {  # copy a result file to $OUT when there is one
  if [ -n "$out" ] && [ -f "$1" ]; then cp "$1" "$out/"; fi
}

for step in "$@"; do
  echo "== $step $(date -u +%H:%M:%S)"
  case "$step" in
    check)
      "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
      "$py" -m backprop_book.cli info
      ;;
    tests)
      log="${out:-.}/gpu_tests.log"
      "$py" -m pytest -q -p no:cacheprovider tests/torch_nn tests/core/test_benchmark_machinery.py \
        2>&1 | tee "$log"
      ;;
    bench)
      "$py" -m benchmarks.bench_torch_nn --record --device cuda
      keep docs/results/part4/bench_pipeline_cuda.json
      ;;
    *)
      "$py" -m backprop_book.torch_nn.experiments run "$step" --profile full --record \
        --checkpoints "$runs"
      keep "docs/results/part4/$step.json"
      ;;
  esac
done
