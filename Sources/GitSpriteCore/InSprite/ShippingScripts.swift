extension InSpriteScript {
    /// Looks at a repository in the sprite and says what it holds.
    ///
    /// - `$1` the repository's path; `$2` the tree of the snapshot about to be shipped, `none`
    ///   for no snapshot, or `keep` to change nothing; `$3` the commit about to become HEAD.
    /// - Prints `state=missing`, or `state=exists` followed by `head=` (absent while unborn),
    ///   `branch=` (absent when detached), `unkept=1` (detached at a commit no ref contains: the
    ///   sprite's own commits on no branch), `snapshot=` (the tree of the last snapshot git-sprite
    ///   applied, absent if none) and `dirty=` (the tree of the work tree, absent when clean).
    ///   Uncommitted changes whose every path is one the user has (`unexplained_changes`: the
    ///   snapshot an earlier `up` applied, or what `apply` took home) are cleared (`dirty=` then
    ///   absent) when a different HEAD or snapshot is coming. Files named by `.spriteinclude`
    ///   that the sprite changed (`included_tree`) make the repository `dirty=` too: a new
    ///   snapshot would overwrite them.
    /// - Exit 0; 3 when the path exists but is not a usable repository, or its changes cannot
    ///   be read (a message on stderr).
    /// - Every run (re)sets `receive.denyCurrentBranch=updateInstead` and
    ///   `receive.shallowUpdate=true`, which the tunnel needs (the second for a shallow clone).
    public static let probe = InSpriteScript(name: "git-sprite-probe", text: probeBody)

    static let probeBody =
        uncommittedTreeFunction + unexplainedChangesFunction + includedTreeFunction + lastingRefsFunction + #"""
            # undone TREE HEAD: the paths the snapshot an earlier `up` applied on this HEAD changed
            # that the work tree (TREE) has as HEAD has them again: the sprite put back your
            # change (a revert, a deleted new file). Nothing of yours is lost there, but applying
            # your snapshot again would undo the sprite's decision without a word
            undone() {
              snapc=$(git config --get gitsprite.snapshotcommit) || return 0
              snap=$(git config --get gitsprite.snapshot) || return 0
              [ "$(git rev-parse -q --verify "$snapc^1" 2>/dev/null)" = "$2" ] || return 0
              shipped_paths=$(mktemp) || return 0
              git diff-tree -r --name-only "$2" "$snap" -- > "$shipped_paths" 2>/dev/null
              git diff-tree -r --name-only "$2" "$1" -- 2>/dev/null | grep -Fvx -f - "$shipped_paths"
              rm -f "$shipped_paths"
              return 0
            }
            p="$1"
            [ -e "$p/.git" ] || { echo state=missing; exit 0; }
            cd "$p" || exit 3
            git rev-parse --git-dir >/dev/null 2>&1 || { echo "$p exists but is not a usable git repository" >&2; exit 3; }
            git config receive.denyCurrentBranch updateInstead && git config receive.shallowUpdate true
            echo state=exists
            head=$(git rev-parse -q --verify HEAD) && echo "head=$head"
            branch=$(git symbolic-ref -q --short HEAD) && echo "branch=$branch"
            # commits made on a detached HEAD that nothing lasting holds: moving HEAD would leave
            # them to the reflog (what keeps them: a branch, a tag, a remote's branch, what `up`
            # shipped; not the stash, which the agent may pop, nor the views a fetch makes)
            # shellcheck disable=SC2046
            if [ -n "$head" ] && [ -z "$branch" ] \
               && [ -z "$(git for-each-ref --count=1 --contains "$head" --format=x \
                            $(lasting_refs) refs/git-sprite/head refs/git-sprite/snapshot)" ]; then
              echo unkept=1
            fi
            shipped=$(git config --get gitsprite.snapshot) && echo "snapshot=$shipped"
            # files named by .spriteinclude that the sprite changed: a new snapshot would overwrite
            # them (they are ignored), so they count as the sprite's own changes
            included=$(included_tree)
            if [ -n "$included" ] || [ -n "$(changed_paths)" ]; then
              tree=$(uncommitted_tree) \
                || { echo "cannot read the uncommitted changes in $p (is a git command still running there?)" >&2; exit 3; }
              if [ -z "$included" ] && [ "$2" != keep ] && { [ "$tree" != "$2" ] || [ "$head" != "$3" ]; } \
                 && theirs=$(own_changes "$tree" "$head") && [ -z "$theirs" ] && [ -z "$(undone "$tree" "$head")" ]; then
                # every changed path is one the user has (what an earlier `up` brought, or what
                # `apply` took home): clear them so new commits can land; the new snapshot is
                # applied afterwards
                git reset -q --hard HEAD && git clean -fdq
                git config --unset gitsprite.snapshot; git config --unset gitsprite.applied
                git config --unset gitsprite.snapshotcommit; :
              else
                echo "dirty=$tree"
              fi
            elif [ "$2" != keep ] && [ -n "$head" ] && [ -n "$(undone "$(git rev-parse "$head^{tree}")" "$head")" ]; then
              # (clean to git: every change you shipped was put back)
              echo "dirty=$(git rev-parse "$head^{tree}")"
            fi
            """#

    /// Makes the staging directory (`$1` is this run's: `<staging>/<path hash>-<run>`). What
    /// earlier runs left there is removed by the lock's holder (`lock`), never here: a killed
    /// run's command may still be running, and must not remove a later run's directory.
    static let clearStaging = #"rm -rf "$1" && mkdir -p "${1%/*}""#

    /// Clones a repository into this run's staging directory, then reports as `probe` does.
    ///
    /// - `$1` the staging directory; `$2` the URL; `$3…` options for `git clone`.
    /// - Exit 0 and the `probe` lines; 1 when the clone failed (the caller sends the branch
    ///   through the tunnel instead); 3 on any other failure.
    public static let clone = InSpriteScript(
        name: "git-sprite-clone",
        text: """
            \(clearStaging) || exit 3
            stage="$1"; url="$2"; shift 2
            git clone -q "$@" -- "$url" "$stage" || { rm -rf "$stage"; exit 1; }
            set -- "$stage" keep ""
            \(probeBody)
            """)

    /// Creates an empty repository in this run's staging directory for the tunnel to push into.
    ///
    /// - `$1` the staging directory; `$2` the branch.  Exit 0, or non-zero with git's message.
    public static let initialise = InSpriteScript(
        name: "git-sprite-init",
        text: """
            \(clearStaging) && git init -q -b "$2" -- "$1" && git -C "$1" config receive.denyCurrentBranch updateInstead \
              && git -C "$1" config receive.shallowUpdate true
            """)

    /// After the push: checks out what landed, applies the snapshot, and (for a first ship)
    /// moves the finished repository into place as the very last step.
    ///
    /// - `$1` the repository; `$2` where to move it (empty: it is in place); `$3` what to check
    ///   out (empty: nothing); `$4` `detach` or `branch`; `$5` the snapshot commit to apply
    ///   (empty: none) and `$6` its tree.
    /// - Exit 0; 3 on failure, with a message on stderr.
    public static let finish = InSpriteScript(
        name: "git-sprite-finish",
        text: #"""
            dir="$1"; place="$2"; target="$3"; mode="$4"; snap="$5"; tree="$6"
            cd "$dir" || exit 3
            if [ -n "$target" ]; then
              # `--` after the branch: a file of the same name is never what is meant
              if [ "$mode" = detach ]; then git checkout -q --detach "$target" -- || exit 3
              else git checkout -q "$target" -- || exit 3; fi
            fi
            if [ -n "$snap" ]; then
              git read-tree -m -u HEAD "$snap" && git reset -q && git config gitsprite.snapshot "$tree" \
                && git config gitsprite.snapshotcommit "$snap" || exit 3
            fi
            if [ -n "$place" ]; then
              cd / && mkdir -p "${place%/*}" || exit 3
              if [ -e "$place/.git" ]; then
                # an interrupted earlier run finished its own ship meanwhile: keep that one
                rm -rf "$dir"
                echo "$place appeared while this run was shipping (an interrupted run finished it); run git sprite up again to bring it up to date" >&2
                exit 3
              fi
              mv -T "$dir" "$place" || { echo "$place exists in the sprite and is not a git repository" >&2; exit 3; }
            fi
            """#)

    /// Whether a submodule is checked out at a commit.
    ///
    /// - `$1` the superproject; `$2` the submodule's path; `$3` the commit.
    /// - Exit 0 when the submodule is its own repository, at that commit, with an index (a
    ///   checkout cut short has none); 1 otherwise.
    public static let submoduleReady = InSpriteScript(name: "git-sprite-submodule-ready", text: submoduleReadyBody)

    static let submoduleReadyBody = #"""
        cd "$1" 2>/dev/null && [ -e "$2/.git" ] || exit 1
        [ "$(git -C "$2" rev-parse -q --verify HEAD 2>/dev/null)" = "$3" ] || exit 1
        [ -e "$(git -C "$2" rev-parse --path-format=absolute --git-path index 2>/dev/null)" ]
        """#

    /// Checks a submodule out at a commit, from its URL or from a mirror the tunnel filled.
    ///
    /// - `$1` the superproject; `$2` the submodule's name; `$3` its path; `$4` the mirror
    ///   (empty: clone from the URL the superproject records, bringing its own submodules);
    ///   `$5` the commit the superproject pins, which `git submodule update` checks out
    ///   (nothing is done when the submodule is already complete at it).
    /// - Exit 0 when it is checked out; 4 when it is left as it is because moving it would lose
    ///   work of the sprite's (`holds_work`: what, on stderr); other non-zero with git's message
    ///   otherwise. A clone or checkout cut short earlier is started over.
    public static let submodule = InSpriteScript(
        name: "git-sprite-submodule",
        text: changedPathsFunction + lastingRefsFunction + holdsWorkFunction + submoduleBody)

    /// Starts over the submodule `$name` at `$sub` (in the superproject, the current
    /// directory) when a clone or checkout of it was cut short: it has a `.git` but no HEAD.
    /// (`holds_work` has said first that nothing of the sprite's is in it.)
    static let restartCutShortBody = #"""
        if [ -e "$sub/.git" ] && ! git -C "$sub" rev-parse -q --verify HEAD >/dev/null 2>&1; then
          # a clone or checkout cut short: nothing of anyone's is in it yet, so start it over
          rm -rf "$(git rev-parse --path-format=absolute --git-path "modules/$name")" "$sub" && mkdir -p "$sub"
        fi
        """#

    /// `holds_work SUB COMMIT [MIRROR]` (in the superproject): whether moving the submodule at
    /// `SUB` to `COMMIT` (or starting it over) would lose work of the sprite's, and then says
    /// what on stdout: uncommitted changes; commits on a detached HEAD that no ref contains and
    /// `COMMIT` does not contain either (fetched from `MIRROR` first, where the tunnel put it);
    /// branches, a stash or files beside an unborn HEAD (a clone cut short has none of them).
    /// Its nested submodules count too (a move checks them out at their pins, `--recursive`):
    /// one with uncommitted changes, or detached away from its pin at a commit no branch, tag
    /// or remote branch contains, keeps the whole submodule as it is.
    static let holdsWorkFunction = #"""
        holds_work() (
          own_work "$@" && exit 0
          [ -e "$1/.git" ] || exit 1
          # each nested submodule at any depth, with the commit it is pinned at ("$sha1 $displaypath")
          # shellcheck disable=SC2016
          nested=$(git -C "$1" submodule foreach --quiet --recursive 'echo "$sha1 $displaypath"' 2>/dev/null \
            | while read -r pin path; do
                if (cd "$1/$path" 2>/dev/null && nested_work "$pin"); then echo "$path"; break; fi
              done)
          [ -n "$nested" ] || exit 1
          echo "its submodule $nested holds work of the sprite's (uncommitted changes, or commits on no branch)"
        )
        # nested_work PIN (in a nested submodule): uncommitted changes, or detached away from
        # PIN at a commit nothing lasting contains
        nested_work() {
          h=$(git rev-parse -q --verify HEAD) || return 1
          [ -z "$(changed_paths)" ] || return 0
          [ "$h" != "$1" ] || return 1
          ! git symbolic-ref -q HEAD >/dev/null || return 1
          # shellcheck disable=SC2046
          [ -z "$(git for-each-ref --count=1 --contains "$h" --format=x $(lasting_refs))" ]
        }
        own_work() (
          [ -e "$1/.git" ] && cd "$1" 2>/dev/null || exit 1
          if ! head=$(git rev-parse -q --verify HEAD 2>/dev/null); then
            # no repository at all (its git directory cut short before it was one): nothing to lose
            git rev-parse --git-dir >/dev/null 2>&1 || exit 1
            if [ -n "$(git for-each-ref --count=1 --format=x refs/heads refs/stash 2>/dev/null)" ] \
               || [ -n "$(find . -mindepth 1 -maxdepth 1 ! -name .git -print 2>/dev/null | head -n 1)" ]; then
              echo "it has work of the sprite's on a branch with no commits yet"; exit 0
            fi
            exit 1
          fi
          [ "$head" = "$2" ] && exit 1
          if [ -n "$(changed_paths)" ]; then
            echo "the sprite has uncommitted changes in it"; exit 0
          fi
          git symbolic-ref -q HEAD >/dev/null && exit 1
          # shellcheck disable=SC2046
          [ -n "$(git for-each-ref --count=1 --contains "$head" --format=x $(lasting_refs) 2>/dev/null)" ] \
            && exit 1
          [ -n "$3" ] && git fetch -q --no-tags --no-write-fetch-head "$3" refs/heads/git-sprite-pinned >/dev/null 2>&1
          git merge-base --is-ancestor "$head" "$2" 2>/dev/null && exit 1
          echo "its detached HEAD ${head%"${head#????????????}"} has commits of the sprite's on no branch"
        )

        """#

    static let submoduleBody = """
        cd "$1" || exit 3
        name="$2"; sub="$3"; url="$4"; want="$5"
        set -- "$PWD" "$sub" "$want"
        ( \(submoduleReadyBody) ) && exit 0
        if why=$(holds_work "$sub" "$want" "$url"); then printf '%s\\n' "$why" >&2; exit 4; fi
        \(restartCutShortBody)
        git submodule init -q -- "$sub" >/dev/null 2>&1
        # one cloned from its URL brings its own submodules along (git resolves their relative
        # URLs against its URL); a tunnelled one ($4: its mirror) has them shipped one by one
        # (`git submodule update` fetches from the submodule's own origin: it is pointed at this
        # run's source, the mirror or the URL, whichever an earlier run cloned it from)
        if [ -n "$url" ]; then
          git config "submodule.$name.url" "$url"
          if [ -e "$sub/.git" ]; then git -C "$sub" remote set-url origin "$url" >/dev/null 2>&1; fi
          git -c protocol.file.allow=always submodule update -q --init -- "$sub"
        else
          git submodule sync -q -- "$sub" >/dev/null 2>&1
          git submodule update -q --init --recursive -- "$sub"
        fi
        """

    /// `submoduleReady` for many submodules of one superproject in one command, making the
    /// mirror the tunnel fills for each one that is not ready.
    ///
    /// - `$1` the superproject; then for each submodule three arguments: its path, the commit,
    ///   the mirror (a bare repository, made when missing).
    /// - Prints one line per submodule, in order: `sub=ready` or `sub=ship`. Exit 0; 3 when a
    ///   mirror cannot be made (a message on stderr).
    public static let submodulesReady = InSpriteScript(
        name: "git-sprite-submodules-ready",
        text: """
            ready() ( \(submoduleReadyBody)
            )
            super="$1"; shift
            while [ $# -ge 3 ]; do
              if ready "$super" "$1" "$2"; then
                echo sub=ready
              else
                git init -q --bare "$3" >/dev/null || { echo "cannot make $3" >&2; exit 3; }
                echo sub=ship
              fi
              shift 3
            done
            """)

    /// `submodule` for many submodules of one superproject in one command: those the sprite
    /// lacks are updated together (`git submodule update --jobs`, one command per kind instead
    /// of one per submodule), then each is checked as `submodule` would (which does what the
    /// joint update left undone, one at a time, so each failure is its own).
    ///
    /// - `$1` the superproject; then for each submodule four arguments: its name, its path,
    ///   the mirror (empty: clone from its URL), the commit.
    /// - Prints, per submodule in order, `status=` (0 when it is checked out, 4 when it was
    ///   left as it is over work of the sprite's) and, when it is not 0, `error=` with the
    ///   last line git (or `holds_work`) printed. Exit 0; 3 when the superproject
    ///   cannot be entered.
    public static let submodules = InSpriteScript(
        name: "git-sprite-submodules",
        text: changedPathsFunction + lastingRefsFunction + holdsWorkFunction + """
            one() ( \(submoduleBody)
            )
            ready() ( \(submoduleReadyBody)
            )
            cd "$1" || exit 3
            shift
            list=$(mktemp) || exit 3
            : >"$list.mirror"; : >"$list.url"
            (
              while [ $# -ge 4 ]; do
                if ! ready "$PWD" "$2" "$4" && ! holds_work "$2" "$4" "$3" >/dev/null; then
                  name="$1"; sub="$2"
                  \(restartCutShortBody)
                  if [ -n "$3" ]; then
                    if [ -e "$sub/.git" ]; then git -C "$sub" remote set-url origin "$3" >/dev/null 2>&1; fi
                    git config "submodule.$name.url" "$3" && printf '%s\\0' "$sub" >>"$list.mirror"
                  else
                    git submodule sync -q -- "$sub" >/dev/null 2>&1
                    printf '%s\\0' "$sub" >>"$list.url"
                  fi
                fi
                shift 4
              done
            )
            xargs -0 -r git -c protocol.file.allow=always submodule update -q --init --jobs 8 -- \
              <"$list.mirror" >/dev/null 2>&1
            xargs -0 -r git submodule update -q --init --recursive --jobs 8 -- <"$list.url" >/dev/null 2>&1
            rm -f "$list.mirror" "$list.url"
            while [ $# -ge 4 ]; do
              one "$PWD" "$1" "$2" "$3" "$4" 2>"$list"
              status=$?
              echo "status=$status"
              [ "$status" -eq 0 ] || echo "error=$(grep . "$list" | tail -n 1)"
              shift 4
            done
            rm -f "$list"
            """)

    /// Installs the Debian packages that are missing.
    ///
    /// - `$1…` package names (`name` or `name=version`).
    /// - Exit 0 when all are installed (nothing is done when none is missing); apt's status otherwise.
    public static let installPackages = InSpriteScript(
        name: "git-sprite-packages",
        text: #"""
            missing=""
            for p in "$@"; do dpkg -s "${p%%=*}" >/dev/null 2>&1 || missing="$missing $p"; done
            [ -z "$missing" ] && exit 0
            # word splitting of $missing is wanted: one argument per package
            # shellcheck disable=SC2086
            if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q $missing; else sudo -n apt-get install -y -q $missing; fi
            """#)
}
