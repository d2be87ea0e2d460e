extension InSpriteScript {
    /// Lists what cannot come home by design, before a sprite is destroyed: ignored files in
    /// the repositories (but the ones `.spriteinclude` shipped), files in the sprite's home
    /// outside the repositories (git-sprite's own state left out; files in the directory of a
    /// submodule the sprite has no repository for count as outside), and empty directories in
    /// the repositories; and, when asked, packs them into one archive if they are small.
    ///
    /// - `$1` the sprite's home; `$2` an archive to write (`.tar.gz`; empty: none); `$3` the
    ///   largest total size in bytes to pack; `$4…` the repositories (their submodules are
    ///   looked into too).
    /// - Prints `ignored=<files> <bytes>`, `outside=<files> <bytes>`, `empty=<directories>`,
    ///   `unread=<files> <bytes>` (the files of a work tree git cannot read, or whose `.git` is
    ///   gone), up to three `example.<kind>=<path>` each, and `saved=<archive>` when it packed them or
    ///   `unsaved=<reason>` when it did not.
    /// - Exit 0 (what cannot be read is left out of the counts).
    public static let leftovers = InSpriteScript(
        name: "git-sprite-leftovers",
        text: checkedOutSubmodulesFunction + #"""
            home="$1"; archive="$2"; limit="$3"; shift 3
            list=$(mktemp) && ignored=$(mktemp) && outside=$(mktemp) && empty=$(mktemp) && unread=$(mktemp) || exit 0
            # files_in DIR: its files and symlinks, a repository's own directory left out
            files_in() { find "$1" -path "$1/.git" -prune -o \( -type f -o -type l \) -print 2>/dev/null; }
            for r in "$@"; do
              # (a work tree whose .git is gone: every file in it is work no fetch brings)
              if [ ! -e "$r/.git" ]; then files_in "$r" >> "$unread"; continue; fi
              { echo "$r"; (cd "$r" && checked_out_submodules "$r/"); } | while IFS= read -r repo; do
                # (a work tree git cannot read, an index broken or core.bare set: what a fetch
                # brings is its commits, not the files)
                if ! git -C "$repo" status --porcelain --untracked-files=no >/dev/null 2>&1; then
                  files_in "$repo" >> "$unread"
                  continue
                fi
                # the files .spriteinclude shipped are yours (and come home when changed)
                : > "$list"
                shipped=$(git -C "$repo" config --get gitsprite.snapshotcommit) \
                  && git -C "$repo" ls-tree -r --name-only "$shipped" > "$list" 2>/dev/null
                # (a repository inside an ignored directory is listed as DIR/: its files are listed
                # one by one, or an archive holds the directory alone)
                git -C "$repo" -c core.quotePath=false ls-files -o -i --exclude-standard 2>/dev/null \
                  | grep -Fvx -f "$list" | while IFS= read -r path; do
                      case "$path" in
                        */) find "$repo/$path" \( -type f -o -type l \) -print 2>/dev/null ;;
                        *) printf '%s\n' "$repo/$path" ;;
                      esac
                    done >> "$ignored"
                find "$repo" -path "$repo/.git" -prune -o -type d -empty -print 2>/dev/null >> "$empty"
                # a submodule the sprite has no repository for (it could not be cloned): what was
                # written in its directory is in no repository at all
                (cd "$repo" && gitlinks) | while IFS= read -r link; do
                  if [ -d "$repo/$link" ] && [ ! -e "$repo/$link/.git" ]; then
                    find "$repo/$link" \( -type f -o -type l \) -print 2>/dev/null >> "$outside"
                  fi
                done
              done
            done
            # outside the repositories: all but git-sprite's own files (its state, the identity and
            # Claude settings it wrote)
            find "$home" -mindepth 1 \( -path "$home/workspace" -o -path "$home/repos" -o -path "$home/.git-sprite" \) -prune \
              -o \( -type f -o -type l \) ! -path "$home/.gitconfig" ! -path "$home/.claude/settings.json" -print \
              2>/dev/null >> "$outside"
            size() { tr '\n' '\0' < "$1" | xargs -0 -r stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
            examples() { head -n 3 "$2" | sed "s|^$home/||; s|^|example.$1=|"; }
            echo "ignored=$(wc -l < "$ignored" | tr -d ' ') $(size "$ignored")"
            examples ignored "$ignored"
            echo "outside=$(wc -l < "$outside" | tr -d ' ') $(size "$outside")"
            examples outside "$outside"
            echo "empty=$(wc -l < "$empty" | tr -d ' ')"
            examples empty "$empty"
            echo "unread=$(wc -l < "$unread" | tr -d ' ') $(size "$unread")"
            examples unread "$unread"
            if [ -n "$archive" ]; then
              # pack LIST: the archive of the paths LIST names, one a line
              pack() { mkdir -p "${archive%/*}" && tr '\n' '\0' < "$1" | tar -czf "$archive" --null --no-recursion -T - 2>/dev/null; }
              # (the files of a work tree git cannot read are work: packed whatever their size)
              total=$(( $(size "$ignored") + $(size "$outside") ))
              cat "$ignored" "$outside" "$empty" "$unread" > "$list"
              if [ ! -s "$list" ]; then
                echo "unsaved=nothing"
              elif [ "$total" -gt "$limit" ]; then
                echo "unsaved=too large"
                if [ -s "$unread" ] && pack "$unread"; then echo "saved=$archive"; fi
              elif pack "$list"; then
                echo "saved=$archive"
              else
                echo "unsaved=could not pack them"
              fi
            fi
            rm -f "$list" "$ignored" "$outside" "$empty" "$unread"
            """#)

    /// Lists the repositories in the sprite's home outside the workspace, `repos/` and
    /// git-sprite's own state that hold work of their own (`keeps_own_work`): a clone the agent
    /// made to try something in, a bare repository it pushed to. No fetch reaches them. A
    /// repository with several worktrees is named once, when any of them holds work.
    /// The caches tools keep their clones in (cargo, rustup, npm, nvm, pyenv, gems, Go
    /// modules, pre-commit and SwiftPM under `.cache`, editors' plugins under `.local/share`,
    /// Claude Code's own files) are passed over: what is there is fetched, not made, and it
    /// blocked every destroy of a sprite that had built a Rust project (a review).
    ///
    /// - `$1` the sprite's home.
    /// - Prints one `repository=<path>` per repository.
    /// - Exit 0.
    public static let strayRepositories = InSpriteScript(
        name: "git-sprite-stray-repositories",
        text: keepsOwnWorkFunction + #"""
            home="$1"
            named=""
            find "$home" -xdev -mindepth 1 \( -path "$home/workspace" -o -path "$home/repos" -o -path "$home/.git-sprite" \
              -o -path "$home/.cache" -o -path "$home/.cargo" -o -path "$home/.rustup" -o -path "$home/.npm" \
              -o -path "$home/.nvm" -o -path "$home/.pyenv" -o -path "$home/.gem" -o -path "$home/go/pkg" \
              -o -path "$home/.local/share" -o -path "$home/.claude" \) -prune \
              -o -name .git -prune -print -o -name HEAD -type f -print 2>/dev/null | while IFS= read -r found; do
                case "$found" in
                  */.git) dir=${found%/.git} ;;
                  *)
                    # (a bare repository: HEAD beside objects/ and refs/; one with a remote is a
                    # clone of it, kept by a tool, and one without is one the agent pushed to)
                    dir=${found%/HEAD}
                    if [ ! -d "$dir/objects" ] || [ ! -d "$dir/refs" ]; then continue; fi
                    [ "$(git -C "$dir" rev-parse --is-bare-repository 2>/dev/null)" = true ] || continue
                    [ -z "$(git -C "$dir" remote 2>/dev/null)" ] || continue ;;
                esac
                # (a linked worktree of the workspace or a linked repo is read with it)
                common=$(git -C "$dir" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || common=$dir
                case "$common/" in "$home/workspace/"*|"$home/repos/"*|"$home/.git-sprite/"*) continue ;; esac
                case "$named" in *"
            $common
            "*) continue ;; esac
                if keeps_own_work "$dir"; then
                  printf 'repository=%s\n' "$dir"
                  named="$named
            $common
            "
                fi
              done
            exit 0
            """#)
}
