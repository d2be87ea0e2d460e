/// The shell functions several in-sprite scripts share, each put in front of a script's own
/// text by the scripts that call it.
extension InSpriteScript {
    /// `uncommitted_tree`: prints the tree of the work tree as `git add -A` would record it
    /// (untracked files that are not ignored included), built in a temporary index so the
    /// repository's own index is never touched; fails when it cannot be read. Submodules keep
    /// their recorded commits (and a broken one cannot stop the look), whatever their names
    /// (`-z`: git would quote one that is not ASCII, and the quoted name excludes nothing).
    /// `staged_tree`: the tree of the index itself, from a copy of it. Files marked
    /// assume-unchanged or skip-worktree count as they are in the work tree (`changedPaths`).
    static let uncommittedTreeFunction =
        changedPathsFunction + #"""
            uncommitted_tree() {
              index=$(mktemp) || return 1
              specs=$(mktemp) || { rm -f "$index"; return 1; }
              # no index yet (nothing ever added): git starts one where there is no file, not in an empty one
              cp "$(git rev-parse --git-path index)" "$index" 2>/dev/null || rm -f "$index"
              # (a marked file, edited, is recorded as it is: git add -A looks past the marks)
              hidden_paths > "$specs" && [ -f "$index" ] && unmark "$index" "$specs"
              tree=""
              # (a repository inside the work tree is left out too: one with no commit yet stops
              # git add, and its work is counted on its own, as nested)
              { echo .; git ls-files -s -z | tr '\0' '\n' | sed -n 's/^160000 [0-9a-f]* [0-3]\t/:(exclude,literal)/p'
                git ls-files -o --exclude-standard -z 2>/dev/null | tr '\0' '\n' | sed -n 's:/$::; T; s/^/:(exclude,literal)/p'
              } > "$specs"
              # (--sparse: in a sparse checkout, files outside it are added too; a git without it tries again)
              if GIT_INDEX_FILE="$index" git add -A --sparse --pathspec-from-file="$specs" >/dev/null 2>&1 \
                 || GIT_INDEX_FILE="$index" git add -A --pathspec-from-file="$specs" >/dev/null 2>&1; then
                tree=$(GIT_INDEX_FILE="$index" git write-tree)
              fi
              rm -f "$index" "$specs"
              [ -n "$tree" ] && echo "$tree"
            }
            # staged_tree: the tree of the index as it is (from a copy); nothing when there is no
            # index. A path in conflict is left out: its stages are the contents of commits, and
            # what was resolved beside it is kept
            staged_tree() {
              index=$(mktemp) || return 1
              cp "$(git rev-parse --git-path index)" "$index" 2>/dev/null || { rm -f "$index"; return 0; }
              GIT_INDEX_FILE="$index" git ls-files -u -z | sed -z 's/^[^\t]*\t//' | sort -zu \
                | GIT_INDEX_FILE="$index" git update-index -z --force-remove --stdin 2>/dev/null
              GIT_INDEX_FILE="$index" git write-tree 2>/dev/null
              rm -f "$index"
              return 0
            }

            """#

    /// `changed_paths`: a line for each path that differs from the index or is untracked (not
    /// ignored; submodules aside), as `git status --porcelain` prints them (a line of its own
    /// when git status fails: an unreadable index hid every change, an adversarial review),
    /// and ` M PATH` for each file marked assume-unchanged or skip-worktree whose contents
    /// changed: git status and `git add -A` look past the marks, so an edit to such a file (a
    /// tool's, the agent's `git update-index --assume-unchanged`) read as no change and was
    /// lost to a destroy or a new `up` (an adversarial review). `hidden_paths`: the marked files, NUL-separated (a
    /// name may hold a newline, or begin with a quote, which git reads from a line as quoted:
    /// one such name hid every marked edit): every file marked assume-unchanged, and those
    /// marked skip-worktree that are in the work tree (a sparse checkout's files outside it
    /// are not, and are no change; a file only assumed unchanged that is gone was deleted);
    /// `unmark INDEX LIST`: clears both marks, in the index file INDEX (a copy), for the paths
    /// in LIST (from `hidden_paths`).
    static let changedPathsFunction = #"""
        hidden_paths() {
          # (ls-files -v: a lower-case tag is assume-unchanged; S skip-worktree, s both; one
          # listing read twice)
          listed=$(mktemp) || return 0
          git ls-files -v -z > "$listed" 2>/dev/null
          sed -zn 's/^[a-rt-z] //p' "$listed"
          # shellcheck disable=SC2016
          sed -zn 's/^[sS] //p' "$listed" \
            | xargs -0r sh -c 'for p do if [ -e "$p" ] || [ -L "$p" ]; then printf "%s\0" "$p"; fi; done' sh
          rm -f "$listed"
        }
        unmark() {
          [ -s "$2" ] || return 0
          # (one mark per call: git applies only the last one given to paths read from stdin)
          GIT_INDEX_FILE="$1" git update-index -z --no-assume-unchanged --stdin < "$2" >/dev/null 2>&1
          GIT_INDEX_FILE="$1" git update-index -z --no-skip-worktree --stdin < "$2" >/dev/null 2>&1
          return 0
        }
        changed_paths() {
          # (a status git cannot give, with its index unreadable or core.bare set, is no proof of
          # no change: a line says so, and every caller counts it as a change)
          git status --porcelain --untracked-files=all --ignore-submodules=all 2>/dev/null \
            || echo "?? (git status failed here)"
          marked=$(mktemp) || return 0
          hidden_paths > "$marked"
          if [ -s "$marked" ] && cp "$(git rev-parse --git-path index)" "$marked.index" 2>/dev/null; then
            unmark "$marked.index" "$marked"
            GIT_INDEX_FILE="$marked.index" git update-index -q --refresh >/dev/null 2>&1
            GIT_INDEX_FILE="$marked.index" xargs -0r git --literal-pathspecs diff-files -z --name-only -- < "$marked" \
              2>/dev/null | sed -z 's/^/ M /' | tr '\0' '\n'
          fi
          rm -f "$marked" "$marked.index"
          return 0
        }

        """#

    /// `unexplained_changes TREE HEAD`: prints, one per line (quoted as git quotes paths), the
    /// paths where the work tree (`TREE`, from `uncommitted_tree`) differs from `HEAD` and from
    /// every tree git-sprite knows you have: the snapshot an `up` applied
    /// (`gitsprite.snapshot`) and what `apply` took home (`gitsprite.applied`). Content, mode
    /// and symlink-ness count, path by path: a file you shipped that the sprite left alone is
    /// never the sprite's work, whatever else changed. Fails when a tree cannot be read.
    /// `included_tree`: when files named by `.spriteinclude` (ignored, shipped in the snapshot
    /// commit `gitsprite.snapshotcommit`) differ now (content, mode, or gone), prints `<how
    /// many> <tree>`: the snapshot's tree with those files as they are. Prints nothing when
    /// none differs or nothing was shipped; never touches the index.
    static let includedTreeFunction = #"""
        included_tree() {
          snap=$(git config --get gitsprite.snapshotcommit) || return 0
          git cat-file -e "$snap^{commit}" 2>/dev/null || return 0
          paths=$(mktemp) || return 0
          index=$(mktemp) || { rm -f "$paths"; return 0; }
          rm -f "$index"
          git ls-tree -r -z --name-only "$snap" | git check-ignore -z --stdin > "$paths" 2>/dev/null
          if [ -s "$paths" ] && GIT_INDEX_FILE="$index" git read-tree "$snap" \
             && GIT_INDEX_FILE="$index" git add -f -A --pathspec-from-file="$paths" --pathspec-file-nul >/dev/null 2>&1; then
            count=$(GIT_INDEX_FILE="$index" git diff-index --cached --name-only "$snap" | wc -l)
            [ "$count" -gt 0 ] && echo "$count $(GIT_INDEX_FILE="$index" git write-tree)"
          fi
          rm -f "$paths" "$index"
          return 0
        }

        """#

    /// `checked_out_submodules PREFIX`: the submodules checked out in the repository here and,
    /// at any depth, in them: one per line, `PREFIX` then its path from here, each before its
    /// own. What `git submodule foreach --recursive` visits (its `.gitmodules` from the work
    /// tree, else the index), but a gitlink no `.gitmodules` entry names (a repository `git add`
    /// took in) is passed over: foreach stops there with "No url found", and every submodule
    /// after it went unlooked-at. A submodule whose `.git` is no repository of its own is passed
    /// over too (git would find the one around it). `gitlinks` prints the index's gitlinks
    /// (registered or not), once each (an unmerged one has a line per stage), read whole (`-z`:
    /// git quotes a path that is not ASCII); `registered_paths` the paths `.gitmodules` names,
    /// read whole too (a name may hold spaces); `names_path LIST PATH` says whether LIST holds
    /// the line PATH.
    static let checkedOutSubmodulesFunction = #"""
        # a cd that found its directory through CDPATH would print it among the key=value lines
        unset CDPATH
        gitlinks() {
          git ls-files -s -z 2>/dev/null | tr '\0' '\n' | sed -n 's/^160000 [0-9a-f]* [0-3]	//p' | uniq
        }
        registered_paths() {
          if [ -f .gitmodules ]; then
            git config -z -f .gitmodules --get-regexp '^submodule\..*\.path$'
          else
            git config -z --blob :.gitmodules --get-regexp '^submodule\..*\.path$'
          fi 2>/dev/null | tr '\n\0' '\t\n' | sed 's/^[^	]*	//'
        }
        names_path() {
          case "
        $1
        " in *"
        $2
        "*) return 0 ;; esac
          return 1
        }
        checked_out_submodules() {
          registered=$(registered_paths)
          [ -n "$registered" ] || return 0
          gitlinks | while IFS= read -r link; do
            if ! names_path "$registered" "$link" || [ ! -e "$link/.git" ]; then continue; fi
            if ! prefix=$(git -C "./$link" rev-parse --show-prefix 2>/dev/null) || [ -n "$prefix" ]; then continue; fi
            printf '%s%s\n' "$1" "$link"
            (cd "./$link" && checked_out_submodules "$1$link/")
          done
        }

        """#

    /// `lasting_refs`, `local_remotes`: what keeps a commit for good, and the remotes that do
    /// not (paths in the sprite: git-sprite's own mirrors, a bare repository the agent made).
    static let lastingRefsFunction = #"""
        # lasting_refs: the refs that keep a commit for good, one pattern a line: branches, tags,
        # and the branches of every remote outside the sprite; local_remotes: the others. A
        # remote whose fetch or push address is a path on this machine (a mirror git-sprite made
        # in \#(SpritePaths.state), a bare repository the agent made, however it is spelled,
        # file:// too) is in the sprite: what is pushed there goes with it
        local_address() {
          case "$1" in
            # (a helper's address, or a server on the sprite's own loopback: the sprite too)
            file://*|ext::*|fd::*) return 0 ;;
            *://localhost|*://localhost[:/]*|*://*@localhost*|*://127.*|*://*@127.*|*://\[::1\]*|*://0.0.0.0*) return 0 ;;
            *://*) return 1 ;;
          esac
          # (git's rule: no colon, or a slash before the first one, is a path; host:path is scp's)
          case "${1%%:*}" in "$1"|*/*|localhost|*@localhost|127.*|*@127.*) return 0 ;; esac
          return 1
        }
        local_remote() {
          for address in $(git remote get-url --all "$1" 2>/dev/null) $(git remote get-url --push --all "$1" 2>/dev/null); do
            local_address "$address" && return 0
          done
          return 1
        }
        lasting_refs() {
          printf '%s\n' refs/heads refs/tags
          locals=$(local_remotes)
          git remote 2>/dev/null | while IFS= read -r r; do
            # (one of the sprite's; or a remote in the sprite named under this one, origin/bak,
            # has its branches under this one's too: then none of them counts)
            shadowed=""
            for l in $locals; do case "$l" in "$r"|"$r"/*) shadowed=1 ;; esac; done
            [ -n "$shadowed" ] || printf 'refs/remotes/%s\n' "$r"
          done
        }
        local_remotes() {
          git remote 2>/dev/null | while IFS= read -r r; do
            if local_remote "$r"; then printf '%s\n' "$r"; fi
          done
        }
        # local_remote_ref NAME (a ref under refs/remotes/, without that): whether it is a branch
        # of a remote in the sprite (whatever other remote's name it also starts with)
        local_remote_ref() {
          for l in $locals; do case "$1" in "$l"/*) return 0 ;; esac; done
          return 1
        }

        """#

    /// `unexplained_changes`, and `staged_only` and `own_changes`, which count what only the
    /// index holds too (see each function's comment).
    static let unexplainedChangesFunction = #"""
        unexplained_changes() {
          base=${2:-$(git hash-object -t tree /dev/null)}
          list=$(git diff-tree -r --name-only "$base" "$1" --) || return 1
          for known in $(git config --get gitsprite.snapshot) $(git config --get gitsprite.applied); do
            [ -n "$list" ] || break
            known_file=$(mktemp) || return 1
            git diff-tree -r --name-only "$known" "$1" -- > "$known_file" || { rm -f "$known_file"; return 1; }
            list=$(printf '%s\n' "$list" | grep -Fx -f "$known_file")
            rm -f "$known_file"
          done
          [ -z "$list" ] || printf '%s\n' "$list"
        }
        # staged_only TREE HEAD [INDEX]: the paths where the index (its tree INDEX, from
        # staged_tree, when the caller has it) holds what is neither in the work tree
        # (TREE) nor in HEAD or a tree you have (a file staged, then changed or removed): the
        # work tree's tree alone would lose it
        staged_only() {
          staged=${3:-$(staged_tree)} || return 1
          if [ -z "$staged" ] || [ "$staged" = "$1" ]; then return 0; fi
          differs=$(mktemp) || return 1
          if ! git diff-tree -r --name-only "$1" "$staged" -- > "$differs" \
             || ! list=$(unexplained_changes "$staged" "$2"); then
            rm -f "$differs"
            return 1
          fi
          [ -z "$list" ] || printf '%s\n' "$list" | grep -Fx -f "$differs"
          rm -f "$differs"
          return 0
        }
        # own_changes TREE HEAD: the paths that are the sprite's own work, in the work tree or
        # only in the index
        own_changes() {
          own=$(unexplained_changes "$1" "$2") && staged=$(staged_only "$1" "$2") || return 1
          printf '%s\n%s\n' "$own" "$staged" | sed '/^$/d' | sort -u
        }

        """#

    /// `keeps_own_work DIR`: whether the repository at DIR, one no fetch of the sprite's
    /// reaches (in an ignored directory, or outside the repositories), holds work of its own:
    /// commits of its branches, tags or HEAD on none of its remotes' branches (but a clone
    /// pinned at a tag it fetched: HEAD detached there, nothing else ahead), a stash, commits
    /// only its reflogs hold, or changes in its work tree (untracked files too). One that
    /// cannot be read holds work. A clone kept only to read stays out of the way of a destroy.
    static let keepsOwnWorkFunction = #"""
        keeps_own_work() (
          cd "$1" 2>/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || exit 0
          head=$(git rev-parse -q --verify HEAD) || head=""
          # shellcheck disable=SC2086
          ahead=$(git rev-list -n 1 $head --branches --tags --not --remotes -- 2>/dev/null) || exit 0
          if [ -n "$ahead" ]; then
            # (a clone pinned at a tag it fetched: HEAD detached at that tag, no branch of its own
            # ahead of its remotes, no other tag ahead of them; a tag made here, on a commit made
            # here, is work)
            [ -n "$(git remote 2>/dev/null)" ] && [ -n "$head" ] || exit 0
            ! git symbolic-ref -q HEAD >/dev/null || exit 0
            at=$(git tag --points-at HEAD 2>/dev/null) && [ -n "$at" ] || exit 0
            [ -z "$(git rev-list -n 1 --branches --not --remotes -- 2>/dev/null)" ] || exit 0
            [ -z "$(git rev-list -n 1 --tags --not --remotes HEAD -- 2>/dev/null)" ] || exit 0
          fi
          ! git rev-parse -q --verify refs/stash >/dev/null || exit 0
          # (commits only its reflogs hold: reset or amended away there too)
          [ -z "$(git rev-list -n 1 --reflog --not --all -- 2>/dev/null)" ] || exit 0
          [ "$(git rev-parse --is-bare-repository 2>/dev/null)" != true ] || exit 1
          changes=$(git status --porcelain --ignore-submodules=all 2>/dev/null) || exit 0
          [ -n "$changes" ]
        )

        """#
}
