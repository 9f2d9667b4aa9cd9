# wac suite.  `make` builds the generator, `make check` runs every test
# suite and ends with "N passed, N failed, N skipped".
#   make check SUITES="unit host"     only some suites
SUITES ?=

all: wac

wac:
	$(MAKE) -C wac

check: all
	$(MAKE) -C wac tests/test_unit
	tests/run-all $(SUITES)

format:
	clang-format -i wac/*.c wac/*.h wac/tests/*.c

clean:
	$(MAKE) -C wac clean
	rm -rf build

.PHONY: all wac check format clean
