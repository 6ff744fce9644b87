# runsite — plain GNU make with pkg-config.
#   make              build ./runsite
#   make check        every test (unit, end-to-end, compatibility); SANITIZE=1 for ASan+UBSan
#   make demo         render sample-runs/ into ./site
#   make golden       pin the outputs the golden test compares (tests/golden/)
#   make fuzz         build the libFuzzer targets (clang); make fuzz-smoke runs each briefly
#   make bench        benchmarks against the peers in ../shared/bench/BASELINES.md
# A Makefile.local, if present, may set CC, CFLAGS and the like.

VERSION  = 0.1.0
CC      ?= cc
PKGS     = cairo pangocairo fontconfig libcmark-gfm libxml-2.0 sqlite3 yaml-0.1 jansson zlib libxxhash libzip libisal libpq libmariadb
WARN     = -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wwrite-strings \
           -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS  ?= -O2 -g
-include Makefile.local

# Libraries missing? Install them first (scripts/install-deps.sh says what it does).
PKG_OK  := $(shell pkg-config --exists $(PKGS) && echo yes)
ifneq ($(PKG_OK),yes)
  $(info runsite: some libraries are missing; running scripts/install-deps.sh)
  $(shell sh scripts/install-deps.sh >&2)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libpq, MariaDB Connector/C and libzip are opened when a store needs them
# (lib_load), not linked: loading them at every start cost more than a small build.
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libpq libmariadb libzip,$(PKGS)))

ifeq ($(SANITIZE),1)
  BUILD    = build-san
  SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
  BUILD    = build
  SANFLAGS =
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DRUNSITE_VERSION='"$(VERSION)"' -Iinclude -I$(BUILD) \
             $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) -Wl,--build-id $(LDFLAGS)
LIBS       = $(PKG_LIBS) -lm -lpthread

# Every module below src/ except main.c forms the library the tests link.
LIB_SRC  = $(sort $(filter-out src/main.c,$(wildcard src/*.c src/readers/*.c src/chart/*.c src/site/*.c)))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
EMBED    = $(sort $(wildcard templates/*.html assets/*))

ifeq ($(SANITIZE),1)
all: $(BUILD)/runsite
else
all: runsite
runsite: $(BUILD)/runsite
	rm -f $@ && cp $< $@  # a running ./runsite does not block the copy
endif

$(BUILD)/runsite: $(BUILD)/src/main.o $(LIB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# templates/ and assets/ are compiled into the binary, so runsite works from
# any folder; --templates DIR reads a user's own copies instead.
$(BUILD)/embed: scripts/embed.c
	@mkdir -p $(BUILD)
	$(CC) -O1 -o $@ $<
$(BUILD)/embedded.c: $(BUILD)/embed $(EMBED)
	$(BUILD)/embed $(EMBED) > $@
$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The build cache keys charts by this hash of the chart code too, so a
# changed chart module draws every chart again.
CHART_CODE = $(sort $(wildcard src/chart/*.c src/chart/*.h)) include/runsite/chart.h
$(BUILD)/chart_code_id.h: $(CHART_CODE)
	@mkdir -p $(BUILD)
	printf '#define CHART_CODE_ID "%s"\n' "$$(cat $(CHART_CODE) | sha256sum | cut -c1-16)" > $@
$(BUILD)/src/chart/fingerprint.o: $(BUILD)/chart_code_id.h

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# Programs the end-to-end tests use (tests/tools/*.c, each one file, libxml2 only).
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

unit: $(UNIT_BIN)

check: $(BUILD)/runsite $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) RUNSITE=$(BUILD)/runsite sh tests/run.sh

demo: runsite
	./runsite build sample-runs/ -o site --force --primary val/f1
	@echo "open: $(CURDIR)/site/index.html"

# Pins the outputs tests/e2e/golden.sh compares, after a change meant to change them.
golden: $(BUILD)/runsite
	BUILD=$(BUILD) sh tests/golden/update.sh

# libFuzzer targets, built with clang into build-fuzz/.
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang SANITIZE= \
	  CFLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -DRUNSITE_FUZZING' fuzz-bins
fuzz-bins: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_OBJ) $(LIBS)
fuzz-smoke: fuzz
	sh tests/fuzz/smoke.sh build-fuzz

bench: runsite
	sh bench/run.sh

man: man/runsite.1
lint-man:
	mandoc -Tlint -Werror man/runsite.1

format:
	clang-format -i $(wildcard src/*.c src/*/*.c include/runsite/*.h tests/unit/*.c tests/fuzz/*.c)

clean:
	rm -rf build build-san build-fuzz runsite

.PHONY: all unit check demo golden fuzz fuzz-bins fuzz-smoke bench man lint-man format clean
-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d
