#!/usr/bin/env bash
# The main flow on a sample workspace: a repository with a nested submodule (relative URL),
# unpushed commits, an uncommitted change and two linked repos, then `git sprite plan`.
# Usage: scripts/demo.sh BIN_DIR
set -euo pipefail
bin="$(cd "${1:?usage: demo.sh BIN_DIR}" && pwd)"
export PATH="$bin:$PATH"
demo="$(mktemp -d "${TMPDIR:-/tmp}/git-sprite-demo.XXXXXX")"
export HOME="$demo/home" XDG_CONFIG_HOME="$demo/home/.config" XDG_STATE_HOME="$demo/state" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo" GIT_COMMITTER_EMAIL="demo@example.com"
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global protocol.file.allow always
q() { "$@" >/dev/null 2>&1; }

cd "$demo"
mkdir remotes
for r in app lib inner tools; do q git init --bare "remotes/$r.git"; done

# inner <- lib <- app, each submodule added by a relative URL
q git clone remotes/inner.git inner && (cd inner && echo inner > README && q git add . && q git commit -m inner && q git push origin main)
q git clone remotes/lib.git lib && (cd lib && echo lib > README && q git add . && q git commit -m lib \
    && q git submodule add ../inner.git vendor/inner && q git commit -m "add inner" && q git push origin main)
q git clone remotes/app.git app
cd app
echo "# app" > README.md && q git add . && q git commit -m "first commit"
q git submodule add ../lib.git libs/lib && q git submodule update --init --recursive
q git commit -m "add lib" && q git push origin main
git remote set-url origin https://example.com/acme/app.git   # what a real clone would have
q git update-ref refs/remotes/origin/main HEAD
echo "one" >> README.md && q git commit -am "unpushed 1"
echo "two" >> README.md && q git commit -am "unpushed 2"
echo "work in progress" >> README.md

# two linked repos: one with a remote, one without
q git clone "$demo/remotes/tools.git" "$demo/tools" && (cd "$demo/tools" && echo t > t && q git add . && q git commit -m t)
mkdir "$demo/notes" && (cd "$demo/notes" && q git init && echo n > n && q git add . && q git commit -m n)
git sprite link ../tools
git sprite link ../notes --as notes

echo "\$ git sprite plan   (in $demo/app)"
git sprite plan
echo
# the whole flow on a sprite-host on this machine; a stand-in agent, since Claude Code needs
# an account and the internet
trap 'kill "$(cat "$XDG_STATE_HOME/git-sprite/local-host.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
git config sprite.image.installClaude false
git config sprite.network.defaultPolicy block-all   # offline demo: the sprite gets no network
git config sprite.agent.command "sh -c 'echo \"agent got: \$1\"; exec sleep 100000' agent"
echo
echo "\$ git sprite up --local -m 'add a CHANGELOG entry'"
git sprite up --local -m 'add a CHANGELOG entry'
echo
echo "\$ git sprite exec -- git log --oneline -3"
git sprite exec -- git log --oneline -3
echo "\$ git sprite exec -- git status --short"
git sprite exec -- git status --short
echo "\$ git sprite exec -- ls /home/sprite/repos"
git sprite exec -- ls /home/sprite/repos
echo "\$ git sprite exec -- git -C libs/lib/vendor/inner log --oneline -1"
git sprite exec -- git -C libs/lib/vendor/inner log --oneline -1
echo
echo "\$ git sprite status"
git sprite status
echo
echo "\$ git sprite down --destroy"
git sprite down --destroy
echo
echo "demo workspace kept at $demo"
