# wac suite.  `make` builds the generator, `make check` runs every test
# suite and ends with "N passed, N failed, N skipped".
#   make check SUITES="unit host"     only some suites
#   make check SAN=1                  the suites on an ASan+UBSan wac
SUITES ?=
PREFIX ?= /usr/local

all: wac

deps:
	harness/install-deps

wac: deps
	$(MAKE) -C wac

# The main job: profiles A-F on a real DIF/DIX disk (see README.md).
run: all
	harness/main-job

# SAN=1: the suites run an ASan+UBSan build of wac (build/san), which
# stops at the first report.
ifeq ($(SAN),1)
check: export WAC_TEST_BIN = $(CURDIR)/build/san/wac
check: export WAC_TEST_UNIT = $(CURDIR)/build/san/test_unit
check: export ASAN_OPTIONS = halt_on_error=1:detect_leaks=1
check: export UBSAN_OPTIONS = halt_on_error=1:print_stacktrace=1
endif

check: all
	$(MAKE) -C wac tests/test_unit $(if $(filter 1,$(SAN)),san)
	tests/run-all $(SUITES)

bench: all
	$(MAKE) -C bench

# wac and its man page on PATH/MANPATH; the suite (harness, scenarios,
# results, plots) under PREFIX/share/wac-suite, where its scripts find
# each other as in a checkout.
install: all
	install -D -m 755 wac/wac $(DESTDIR)$(PREFIX)/bin/wac
	install -D -m 644 wac/wac.1 $(DESTDIR)$(PREFIX)/share/man/man1/wac.1
	install -d $(DESTDIR)$(PREFIX)/share/wac-suite/wac
	tar -cf - --exclude=results/runs --exclude=results/db --exclude='__pycache__' \
		harness scenarios results plots docs | tar -xf - -C $(DESTDIR)$(PREFIX)/share/wac-suite
	install -m 755 wac/wac wac/wac-static $(DESTDIR)$(PREFIX)/share/wac-suite/wac/

format:
	clang-format -i wac/*.c wac/*.h wac/tests/*.c wac/fuzz/*.c

clean:
	$(MAKE) -C wac clean
	rm -rf build

.PHONY: all deps wac run check bench install format clean
