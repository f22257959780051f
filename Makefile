# libobjstore — see README.md.
#   make          build build/libobjstore.so (and place it for the Python package)
#   make demo     run the quickstart on a LocalStore in a temp dir
#   make test     start the test servers, run Go, C and Python (3.11, 3.14, 3.14t) tests, stop them
#   make wheel    manylinux wheels (x86_64, aarch64) and the sdist in build/wheels/
#   make bench    libobjstore vs obstore side by side (docs/benchmarks.md)

GO      ?= go
PYTHON  ?= python3
CC      ?= cc
BUILD   := build
LIB     := $(BUILD)/libobjstore.so
SONAME  := libobjstore.so.1
PYLIB   := bindings/python/src/objstore/_lib
PREFIX  ?= /usr/local
# The one version source: the header's OBJSTORE_VERSION, the library's
# objstore_version(), the Python package and objstore.pc follow it (a test
# checks they agree).
VERSION := $(shell cat VERSION)

GO_SOURCES := $(shell find core capi -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.map' 2>/dev/null) include/objstore.h go.mod go.sum
PY_PACKAGE := $(shell find bindings/python/src -name '*.py' -o -name 'py.typed' 2>/dev/null) \
              bindings/python/setup.py bindings/python/pyproject.toml
WHEELS  := $(BUILD)/wheels/.built

.PHONY: all build wheel demo test test-go test-c test-python bench fuzz soak install clean

all: build

build: $(LIB) $(PYLIB)/libobjstore.so

# The library: only objstore_* symbols are exported (capi/exports.map) and the
# soname is libobjstore.so.1; build-lib.sh holds the flags (and why).
$(BUILD)/$(SONAME): $(GO_SOURCES) buildscripts/build-lib.sh
	GO=$(GO) buildscripts/build-lib.sh $@

$(LIB): $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(PYLIB)/libobjstore.so: $(BUILD)/$(SONAME)
	@mkdir -p $(PYLIB)
	cp $< $@

# Manylinux wheels (x86_64, aarch64; zig cc, glibc 2.17) and the sdist in
# build/wheels/, each checked by auditwheel: see buildscripts/wheel.sh.
wheel: $(WHEELS)

$(WHEELS): $(GO_SOURCES) $(PY_PACKAGE) buildscripts/wheel.sh buildscripts/build-lib.sh buildscripts/requirements-wheel-tools.txt
	buildscripts/wheel.sh
	@touch $@

demo: build
	PYTHONPATH=bindings/python/src $(PYTHON) bindings/python/examples/quickstart.py

# Go and C tests once, the Python layers on 3.11, 3.14 and 3.14t (built once
# into a cache outside the clone: buildscripts/python.sh), the wheels too.
test: build wheel
	buildscripts/test-pythons.sh
	buildscripts/with-servers.sh -- buildscripts/run-tests.sh

# Side-by-side benchmarks vs obstore/s3fs (bench-venv, local servers);
# writes docs/benchmarks.md and docs/benchmarks.png. BENCH_ROUNDS=5 etc.
bench: build
	buildscripts/bench/run.sh

test-go:
	$(GO) test ./...

test-c: build
	$(MAKE) -C bindings/c test

# The binding's tests on one test interpreter: make test-python TEST_PY=3.14
TEST_PY ?= 3.11
test-python: build
	PYTHONPATH=bindings/python/src $$(buildscripts/test-pythons.sh $(TEST_PY) | cut -d' ' -f2) -m pytest -q bindings/python/tests

# Each fuzz target runs for FUZZTIME; a crasher is written to the package's
# testdata/fuzz/ and then runs in every `go test` as a regression test.
FUZZTIME ?= 2m
FUZZ_TARGETS := ./core:FuzzParsePath ./core:FuzzParseConfig ./core:FuzzRangeResolve ./core/stores:FuzzFromURL ./core/stores:FuzzNormalize

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# 1,000,000 small operations from Python on a MemoryStore, RSS printed every
# 100,000; fails if it keeps growing. (`make test` runs a 100,000-op variant.)
SOAK_OPS ?= 1000000
soak: build
	PYTHONPATH=bindings/python/src $(PYTHON) bindings/python/tests/test_soak.py --ops $(SOAK_OPS)

install: build
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 $(BUILD)/$(SONAME) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libobjstore.so
	install -m 0644 include/objstore.h $(DESTDIR)$(PREFIX)/include/objstore.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' bindings/c/objstore.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/objstore.pc

clean:
	rm -rf $(BUILD) $(PYLIB)
	$(MAKE) -C bindings/c clean
