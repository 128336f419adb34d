#!/usr/bin/env bash
# Every check of the workspace: nothing read from outside the repository, build, typecheck, lint,
# all tests (packages, apps, e2e), biome.
# The WebGPU tests need a Vulkan driver: on Debian 12 with no GPU, lavapipe is set up in
# .vendor/lavapipe first. In CI that step must succeed, so that the GPU code path really runs;
# elsewhere a machine it does not fit skips the WebGPU tests and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${VK_DRIVER_FILES:-}" ]]; then
  if bash scripts/setup-lavapipe.sh; then
    set -a
    . .vendor/lavapipe/env
    set +a
  elif [[ "${CI:-}" == true ]]; then
    echo "test-all: lavapipe setup failed in CI; the WebGPU tests cannot run" >&2
    exit 1
  else
    echo "test-all: no lavapipe here; the WebGPU tests will be skipped" >&2
  fi
fi

# The playground's browser tests drive the system's Chromium: set it up as lavapipe above, required
# in CI, skipped (and said) elsewhere when it cannot be had.
if chromium="$(bash scripts/setup-chromium.sh)"; then
  export FLOWDIT_CHROMIUM="$chromium"
elif [[ "${CI:-}" == true ]]; then
  echo "test-all: Chromium setup failed in CI; the playground's browser tests cannot run" >&2
  exit 1
else
  echo "test-all: no Chromium here; the playground's browser tests will be skipped" >&2
fi

# Seconds, and it names the file when something reads outside the repository.
bash scripts/check-self-contained.sh
pnpm run check
