# git-sprite — build, test, install, demo.
#   make test     install build/test dependencies, build, run every test (what CI runs)
#   make demo     install dependencies, build, run the main flow on a sample repository
#   make build    release build (static Swift stdlib, packed relocations: scripts/release-flags.sh)
#   make install  PREFIX=/usr/local: binaries, man pages, completions
#   make bench    run the benchmarks under bench/
#   make test-fast  the in-process tiers only (no sprite-host binary, no sandbox): seconds
#   make lint     formatting (.swift-format), file length and citations, as make test checks them
#   make format   format the code as .swift-format says

PREFIX ?= /usr/local
SWIFT ?= swift
# optimised, static Swift libraries, packed relocations where the C library reads them
RELEASE_FLAGS = $(shell bash scripts/release-flags.sh)
BINS = git-sprite git-remote-sprite sprite-host sprite-enter

.PHONY: all deps build debug test test-fast lint format demo install uninstall bench clean

all: build

# The Debian packages whose libraries the client links in (Package.swift), for their notices
LINKED_PACKAGES = libgit2-1.5 libmbedtls14 libmbedcrypto7 libmbedx509-1 libssh2-1 libssl3 libhttp-parser2.9 \
	libpcre2-8-0 zlib1g libstdc++6

deps:
	@bash scripts/deps.sh

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

debug: deps
	$(SWIFT) build

PYTHON_SDK = .build-python-sdk
NODE = .build-node
JS_SDK = .build-js-sdk
TEST_CA = .build-test-ca
# The tiers run these suites the way the real service answers (docs/compatibility.md): behind
# an HTTP/2-capable TLS edge (nginx), and with the sparest documented replies; the two at once,
# and every other suite beside the edge tier's end (scripts/test.sh builds and runs it all),
# the live fault matrix again straight to the host (its host-restart case needs the host's own
# port): a tier's suite is not run a second time on loopback HTTP with the host's fullest
# replies, which no user's client sees (the real service is behind its edge, a local host
# answers on a unix socket) and which every other end-to-end suite speaks. `swift test` alone
# runs them all so.
# (what reaches the agent's programs, shell, forward, cp and url, runs in both tiers)
TIER_REACH = ReachTests|CopyTests|SpriteURLTests
TIER_EDGE = UpTests|DownTests|AttachTests|ExecCommandTests|UpAgentEnvironmentTests|EdgeTests|$(TIER_REACH)
TIER_SPARSE = LivingWithASpriteTests|StatusTests|CostAndPruneTests|DocsWalkthroughTests|$(TIER_REACH)
EDGE_SUITES = GitSpriteTests\.($(TIER_EDGE)|FaultMatrixTests)
SPARSE_SUITES = GitSpriteTests\.($(TIER_SPARSE))
TIER_ONLY_SUITES = GitSpriteTests\.($(TIER_EDGE)|$(TIER_SPARSE))/

lint:
	@bash scripts/lint.sh

FAST_SUITES = SpriteGitTests|SpriteHTTPTests|GitSpriteCoreTests|SpriteHostTests|GitSpriteCLITests

test-fast: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --filter '$(FAST_SUITES)'

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

test: deps lint
	@SWIFT='$(SWIFT)' PYTHON_SDK='$(PYTHON_SDK)' NODE='$(NODE)' JS_SDK='$(JS_SDK)' TEST_CA='$(TEST_CA)' \
		EDGE_SUITES='$(EDGE_SUITES)' SPARSE_SUITES='$(SPARSE_SUITES)' TIER_ONLY_SUITES='$(TIER_ONLY_SUITES)' \
		bash scripts/test.sh

demo: build
	@bash scripts/demo.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

install: build
	@bin="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"; \
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d $(DESTDIR)$(PREFIX)/share/fish/vendor_conf.d; \
	for b in $(BINS); do install -m 0755 "$$bin/$$b" $(DESTDIR)$(PREFIX)/bin/; done; \
	install -m 0644 man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/; \
	install -m 0644 completions/git-sprite.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/git-sprite; \
	install -m 0644 completions/_git-sprite $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_git-sprite; \
	install -m 0644 completions/git-sprite.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/git-sprite.fish
	install -m 0644 completions/git-sprite.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_conf.d/git-sprite.fish
	@# the notices of the libraries the client is linked with (docs/security.md)
	install -d $(DESTDIR)$(PREFIX)/share/doc/git-sprite/linked
	for p in $(LINKED_PACKAGES); do \
		[ ! -f /usr/share/doc/$$p/copyright ] || \
			install -m 0644 /usr/share/doc/$$p/copyright $(DESTDIR)$(PREFIX)/share/doc/git-sprite/linked/$$p.copyright; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(BINS))
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/git-sprite*.1 $(DESTDIR)$(PREFIX)/share/man/man1/sprite-host.1
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/git-sprite
	rm -f $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_git-sprite
	rm -f $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/git-sprite.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_conf.d/git-sprite.fish

bench: build
	@bash bench/run.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

clean:
	rm -rf .build .build-*
