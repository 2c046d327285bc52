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
#   amp          one epoch of the tutorial CNN and of AlexNet in float32 and in mixed
#                precision, timed (-> bench_flops_cuda.json), then E's AlexNet study in
#                mixed precision (the trainer's default on CUDA) -> alexnet_study.json
#                (each run's time is in the record)
#   ID           a study at the full profile, e.g. part4/alexnet_study, part4/a_cnn_studies
#                (a bare Part IV name such as alexnet_study is accepted too):
#                backprop-book reproduce ID --profile full --record     -> NAME.json
#                SEEDS=3 adds --seeds 3, and SEED_RUNS=a,b adds --seed-runs a,b (seeds
#                beyond the first train only those runs; the others come from the record):
#                SEEDS=3 SEED_RUNS=adam_lr1e-3_b100,batch_norm,lr1e-4 \
#                  bash scripts/gpu_session.sh part4/alexnet_study
# Result files land in docs/results/<part>/ and, when $OUT is set, are copied there.
# Checkpoints go to $BACKPROP_BOOK_CACHE/runs/<part>/<study> (the cache defaults to
# /tmp/backprop_book_cache here). A GPU machine gets a copy of the working tree,
# which may carry uncommitted changes: the record then says so (--allow-dirty) and
# keeps the diff's hash.
# CIFAR-10: $BACKPROP_BOOK_CIFAR10, else .gpu/cifar10-jpeg.tar.gz in the checkout (copy
# the shared archive there and list the folder in .git/info/exclude), else ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -z "${BACKPROP_BOOK_CIFAR10:-}" ] && [ -f .gpu/cifar10-jpeg.tar.gz ]; then
  export BACKPROP_BOOK_CIFAR10="$PWD/.gpu/cifar10-jpeg.tar.gz"
fi
export BACKPROP_BOOK_CACHE="${BACKPROP_BOOK_CACHE:-/tmp/backprop_book_cache}"
py="${PYTHON:-python3}"
out="${OUT:-}"

keep() {  # copy a record to $OUT when there is one: a file, or a study's folder (runs + index)
  if [ -n "$out" ] && [ -f "$1" ]; then cp "$1" "$out/"; fi
  if [ -n "$out" ] && [ -d "${1%.json}/index" ]; then cp -r "${1%.json}" "$out/"; fi
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
    amp)
      "$py" -m benchmarks.bench_flops --record --device cuda
      keep docs/results/part4/bench_flops_cuda.json
      "$py" -m backprop_book.cli reproduce part4/alexnet_study --profile full --record --allow-dirty
      keep docs/results/part4/alexnet_study.json
      ;;
    *)
      id="$step"
      case "$id" in */*) ;; *) id="part4/$id" ;; esac
      extra=()
      if [ -n "${SEEDS:-}" ]; then extra+=(--seeds "$SEEDS"); fi
      if [ -n "${SEED_RUNS:-}" ]; then extra+=(--seed-runs "$SEED_RUNS"); fi
      "$py" -m backprop_book.cli reproduce "$id" --profile full --record --allow-dirty "${extra[@]}"
      keep "docs/results/$id.json"
      ;;
  esac
done
