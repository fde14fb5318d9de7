# convsim's two entry points for a fresh machine (see README.md):
#   make run   installs what is missing, builds, runs the calibrated baseline, prints a summary
#   make test  installs what is missing, builds, runs every test (unit, integration, slow, cluster)
# Other targets: build, install (PREFIX=...), bench, debug-test (ASan+UBSan), tsan-test (needs a oneTBB built with
# ThreadSanitizer; see README.md), clean.

BUILD_DIR ?= build
JOBS ?= 2
CONVSIM := $(BUILD_DIR)/cli/convsim

.PHONY: deps configure build run test bench debug-test tsan-test clean install

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target convsim
	@mkdir -p out
	@$(CONVSIM) run scenarios/korea_baseline.yaml -o out/korea_baseline.h5

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 900

bench: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target convsim
	@$(CONVSIM) bench --firms 100000 1000000 10000000 --steps 10 --threads 1 2

debug-test: deps
	@cmake --preset debug >/dev/null && cmake --build --preset debug -j $(JOBS) && ctest --preset debug -L unit

tsan-test: deps
	@cmake --preset tsan >/dev/null && cmake --build --preset tsan -j $(JOBS) && ctest --preset tsan -L unit

# Installs the convsim executable and the Python package under PREFIX (default /usr/local), where
# the shell and Debian's /usr/bin/python3 find them (docs/python.md).
install: build
	@cmake --install $(BUILD_DIR) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	@rm -rf $(BUILD_DIR) build-debug build-tsan
