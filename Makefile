# Whetstone: `make demo` and `make test` install what is missing, build, and run.
SWIFT ?= swift
# Release builds: numeric code is 10–100× faster than in debug.
CONFIG ?= release

.PHONY: demo test build deps bench format clean

# Debian's OpenBLAS, through the CBLAS system-library target (root is available here).
deps:
	@if ! [ -f /usr/include/x86_64-linux-gnu/cblas.h ] && ! [ -f /usr/include/cblas.h ]; then \
	  echo "Installing libopenblas-dev (CBLAS)…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libopenblas-dev >/dev/null \
	    || { echo "error: could not install libopenblas-dev; install OpenBLAS (or BLIS) with CBLAS headers by hand" >&2; exit 1; }; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: build
	$(SWIFT) run -c $(CONFIG) whet demo

test: deps
	$(SWIFT) test -c $(CONFIG)

bench: build
	$(SWIFT) run -c $(CONFIG) whet-bench

format:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Package.swift

clean:
	rm -rf .build
