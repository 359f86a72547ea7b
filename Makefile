# The portal: `make run` runs it locally, `make test` runs every test.
# SAN=1 builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# into build/san (binaries in build/san/bin) so it never mixes with a normal build.

CC      ?= cc
PKGS     = fcgi libmariadb yajl libsodium libcurl libzip expat
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wno-unused-parameter -Wno-missing-field-initializers -fno-strict-aliasing -MMD -MP
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lm
# Core sees its private headers and its libraries. A plugin sees only the SDK
# (core/include) and what its own folder links, as it would when built outside
# this tree against an installed SDK (portal.pc); hidden visibility leaves
# portal_plugin_v1 its only export.
CORE_CFLAGS = -Icore -Icore/include $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
SDK_CFLAGS  = -Icore/include -fPIC -fvisibility=hidden

ifeq ($(SAN),1)
OUT      = build/san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
# AddressSanitizer keeps freed memory resident in its quarantine (256 MiB by
# default) to catch uses after free: a worker that hashed a password (argon2id,
# 64 MiB) stayed over worker_max_rss and was replaced mid-test. A quarantine
# smaller than that buffer lets it go at once and still holds small blocks.
export ASAN_OPTIONS ?= quarantine_size_mb=32
else
OUT      = build/normal
endif
BIN      = $(if $(filter 1,$(SAN)),build/san/bin,bin)
export PORTAL_BIN := $(abspath $(BIN))

# Core's parts, one folder each (README.md, "Layout"); portalctl's commands
# are in core/ctl/ and link with it alone.
CORE_MAINS = core/pool/portald.c core/ctl/portalctl.c core/photo/portal_photo.c
CORE_SRCS  = $(filter-out $(CORE_MAINS) core/ctl/%,$(wildcard core/*/*.c))
CORE_OBJS  = $(CORE_SRCS:%.c=$(OUT)/%.o)
CORE_LIB   = $(OUT)/libportalcore.a
CTL_OBJS   = $(patsubst %.c,$(OUT)/%.o,$(filter-out $(CORE_MAINS),$(wildcard core/ctl/*.c)))

PLUGINS    = $(notdir $(wildcard plugins/*))
PLUGIN_SOS = $(PLUGINS:%=$(BIN)/plugins/%.so)

# A plugin that links more than the SDK names its pkg-config packages in its
# folder's plugin.mk (PLUGIN_PKGS = ...); read here into PLUGIN_CFLAGS_<name>
# and PLUGIN_LIBS_<name>.
define read_plugin_mk
PLUGIN_PKGS :=
-include plugins/$(1)/plugin.mk
PLUGIN_CFLAGS_$(1) := $$(if $$(PLUGIN_PKGS),$$(shell pkg-config --cflags $$(PLUGIN_PKGS) 2>/dev/null))
PLUGIN_LIBS_$(1) := $$(if $$(PLUGIN_PKGS),$$(shell pkg-config --libs $$(PLUGIN_PKGS) 2>/dev/null))
endef
$(foreach plugin,$(PLUGINS),$(eval $(call read_plugin_mk,$(plugin))))

# Plugins that exist only for the tests: a wrong ABI, a wrong name, a clash, a slow route.
TEST_PLUGIN_SOS = $(patsubst tests/plugins/%.c,$(BIN)/test-plugins/%.so,$(wildcard tests/plugins/*.c))

UNIT_SRCS  = $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/%)

FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60

.PHONY: all deps run start stop test test-cluster unit unit-bins fuzz bench format lint lint-format lint-cppcheck lint-shell clean install
all: $(BIN)/portald $(BIN)/portalctl $(BIN)/portal-photo $(BIN)/hello_fcgi $(PLUGIN_SOS) $(TEST_PLUGIN_SOS) $(UNIT_BINS)

deps:
	@sh core/scripts/deps.sh

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) -c $< -o $@

# The stem is <plugin>/<file>.
$(OUT)/plugins/%.pic.o: plugins/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SDK_CFLAGS) $(PLUGIN_CFLAGS_$(firstword $(subst /, ,$*))) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

# portald and portalctl load plugins, so they export exactly the SDK
# (core/sdk.syms) and link all of core; portalctl's commands are in core/ctl/.
$(BIN)/portald: $(OUT)/core/pool/portald.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -Wl,--dynamic-list=core/sdk.syms -o $@ $< -Wl,--whole-archive $(CORE_LIB) -Wl,--no-whole-archive $(LDLIBS)

$(BIN)/portalctl: $(OUT)/core/ctl/portalctl.o $(CTL_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -Wl,--dynamic-list=core/sdk.syms -o $@ $< $(CTL_OBJS) -Wl,--whole-archive $(CORE_LIB) -Wl,--no-whole-archive $(LDLIBS)

# The program that decodes untrusted photos apart from the workers (core/photo):
# the only one that links libvips.
PHOTO_PKGS = vips libseccomp
$(OUT)/core/photo/portal_photo.o: CORE_CFLAGS += $(shell pkg-config --cflags $(PHOTO_PKGS) 2>/dev/null)
$(BIN)/portal-photo: $(OUT)/core/photo/portal_photo.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs $(PHOTO_PKGS) 2>/dev/null)

# The bench's baseline: a libfcgi hello-world.
$(BIN)/hello_fcgi: $(OUT)/tests/bench/hello_fcgi.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LDLIBS)

.SECONDEXPANSION:
$(BIN)/plugins/%.so: $$(addprefix $(OUT)/,$$(addsuffix .pic.o,$$(basename $$(wildcard plugins/$$*/*.c))))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(PLUGIN_LIBS_$*)

# Compiled apart so that their dependency files land under build/ with the
# others, and a changed SDK header rebuilds them too.
$(OUT)/tests/plugins/%.pic.o: tests/plugins/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SDK_CFLAGS) -c $< -o $@

$(BIN)/test-plugins/%.so: $(OUT)/tests/plugins/%.pic.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -o $@ $<

$(OUT)/tests/%: tests/unit/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(CORE_LIB) $(LDLIBS)

# make install [PREFIX=/usr/local] [DESTDIR=staging folder]: the programs, the
# plugins with their sql/, templates/ and locale/, core's templates and SQL, the
# SDK headers with portal.pc (for plugins built elsewhere), an example
# configuration naming the installed folders, the systemd unit (reading
# SYSCONFDIR/portal/portal.conf) and nginx's templates with render.sh and the
# production guide. Needs root only when the folders need it.
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
LIBDIR         ?= $(PREFIX)/lib
INCLUDEDIR     ?= $(PREFIX)/include
DATADIR        ?= $(PREFIX)/share/portal
PLUGINDIR      ?= $(LIBDIR)/portal/plugins
PLUGINSHAREDIR ?= $(DATADIR)/plugins
PKGCONFIGDIR   ?= $(LIBDIR)/pkgconfig
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
ABI_VERSION     = $(shell sed -n 's/^\#define PORTAL_ABI_VERSION \([0-9]*\)u$$/\1/p' core/include/portal/portal.h)
INSTALL_PATHS   = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
                      -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
                      -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' -e 's|@PLUGINSHAREDIR@|$(PLUGINSHAREDIR)|g' \
                      -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
                      -e 's|@ABI_VERSION@|$(ABI_VERSION)|g'

install: $(BIN)/portald $(BIN)/portalctl $(BIN)/portal-photo $(PLUGIN_SOS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(INCLUDEDIR)/portal $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(PLUGINSHAREDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(DATADIR)/nginx
	install -m 755 $(BIN)/portald $(BIN)/portalctl $(BIN)/portal-photo $(DESTDIR)$(BINDIR)/
	install -m 755 $(PLUGIN_SOS) $(DESTDIR)$(PLUGINDIR)/
	install -m 644 core/include/portal/*.h $(DESTDIR)$(INCLUDEDIR)/portal/
	cp -R templates sql $(DESTDIR)$(DATADIR)/
	for plugin in $(PLUGINS); do \
	  install -d $(DESTDIR)$(PLUGINSHAREDIR)/$$plugin && \
	  for folder in plugins/$$plugin/*/; do \
	    [ ! -d "$$folder" ] || cp -R "$${folder%/}" $(DESTDIR)$(PLUGINSHAREDIR)/$$plugin/ || exit 1; \
	  done; \
	done
	$(INSTALL_PATHS) core/portal.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/portal.pc
	$(INSTALL_PATHS) core/portal.conf.example.in >$(DESTDIR)$(DATADIR)/portal.conf.example
	$(INSTALL_PATHS) systemd/portald.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/portald.service
	install -m 644 nginx/*.conf.in nginx/README.md $(DESTDIR)$(DATADIR)/nginx/
	install -m 755 nginx/render.sh $(DESTDIR)$(DATADIR)/nginx/

run: deps all
	@DEMO=1 sh core/scripts/stack.sh run
start: deps all
	@DEMO=1 sh core/scripts/stack.sh start
stop:
	@sh core/scripts/stack.sh stop

test: deps all
	@sh tests/run.sh

unit-bins: $(UNIT_BINS)

unit: all
	@sh tests/run.sh unit

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

bench: deps all
	@sh tests/bench/run.sh

# Three Galera nodes and two pools under write load, a node and a pool killed:
# one file of `make test`'s integration tests, alone (about two minutes).
test-cluster: deps all
	node --test --test-concurrency=1 tests/integration/cluster.test.mjs

# What the formatter and the linters read: every C file and header of the
# project, and every shell script.
C_FILES     = $(wildcard core/*/*.[ch] core/include/portal/*.h plugins/*/*.[ch] \
                tests/unit/*.[ch] tests/fuzz/*.c tests/plugins/*.c tests/bench/*.c)
SHELL_FILES = $(wildcard core/scripts/*.sh nginx/*.sh tests/*.sh tests/*/run.sh) .ci/run

format:
	clang-format -i $(C_FILES)

# make lint runs all three; make test runs each as a test of its own.
lint: lint-format lint-cppcheck lint-shell
lint-format:
	clang-format --dry-run --Werror $(C_FILES)
lint-cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Icore -Icore/include \
	  core plugins tests/unit tests/fuzz tests/plugins
lint-shell:
	shellcheck $(SHELL_FILES)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
