# wac suite.  `make` builds the generator, `make check` runs every test
# suite and ends with "N passed, N failed, N skipped".
#   make check SUITES="unit host"     only some suites
SUITES ?=

all: wac

deps:
	harness/install-deps

wac: deps
	$(MAKE) -C wac

# The main job: profiles A-F on a real DIF/DIX disk (see README.md).
run: all
	harness/main-job

check: all
	$(MAKE) -C wac tests/test_unit
	tests/run-all $(SUITES)

bench: all
	$(MAKE) -C bench

format:
	clang-format -i wac/*.c wac/*.h wac/tests/*.c

clean:
	$(MAKE) -C wac clean
	rm -rf build

.PHONY: all deps wac run check bench format clean
