#!/usr/bin/env bash
# Installs the Debian packages git-sprite builds, tests and demos with. Runs apt-get update
# once, and only when something is missing, so repeated runs cost nothing.
set -euo pipefail
# libgit2-dev brings the static archives the client links libgit2 with (Package.swift); named
# here as well so the list says what the link needs.
packages=(libgit2-dev libmbedtls-dev libssh2-1-dev libssl-dev libhttp-parser-dev libpcre2-dev zlib1g-dev libcurl4-openssl-dev pkg-config bubblewrap slirp4netns tmux git man-db ca-certificates curl procps util-linux bsdutils iproute2 openssl python3 shellcheck bash-completion zsh fish nginx-light libseccomp-dev "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
