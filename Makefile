# The two commands of the README: `make run` and `make test`. Both install missing Debian packages
# first (scripts/install-deps.sh, idempotent), then configure and build with CMake.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
# CI treats warnings as errors; a developer's newer compiler should not break a local build.
WERROR     ?= $(if $(CI),ON,OFF)
CMAKE_ARGS ?=

.PHONY: run serve test build deps bench fuzz check clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DEARSHOT_WERROR=$(WERROR) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD)

# The main job on embedded defaults (examples/earshot.yaml): start the replay server (recorded API
# responses) on loopback, crawl its Mastodon, Reddit, Hacker News, Bluesky, WordPress and RSS
# endpoints plus the bundled sample posts, triage them with the shipped rules and the example
# brands, commit cases to the queue in ./earshot-data, then show the open cases, most urgent first.
# Running it again adds nothing: every post is seen and every cursor has moved.
run: build
	@bash scripts/run-demo.sh $(BUILD)

# The same sources polled by `earshot serve`: the HTTP API and operator console on
# http://127.0.0.1:8080/ until Ctrl-C.
serve: build
	@bash scripts/run-demo.sh $(BUILD) serve

test: build
	@bash scripts/check-layout.sh
	@$(BUILD)/cli/earshot rules test rules/ examples/brands.yaml
	@ctest --test-dir $(BUILD) --output-on-failure -j2

bench:
	@bash scripts/install-deps.sh --bench
	@$(MAKE) build CMAKE_ARGS="-DEARSHOT_BUILD_BENCH=ON"

fuzz:
	@bash scripts/fuzz.sh 60

clean:
	rm -rf $(BUILD) build-asan build-fuzz earshot-data
