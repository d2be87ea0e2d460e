extension InSpriteScript {
    /// Counts the work a repository in the sprite holds, in it and in every checked-out
    /// submodule at any depth, and gives what is not on a branch a ref so it can be fetched:
    /// stash entries become `refs/git-sprite/stash/<n>` (0 the newest), and uncommitted changes
    /// (untracked files that are not ignored included) a commit on top of HEAD at
    /// `refs/git-sprite/uncommitted`. Neither the work tree nor the index is touched.
    ///
    /// - `$1` the repository.
    /// - Prints `state=missing`, or `state=exists` and then for each repository a section that
    ///   starts with `repo=<path from $1>` (`.` for `$1` itself), followed by:
    ///   `head=<commit>` (absent when unborn), `branch=<name>` (absent when detached),
    ///   `unpushed=<n>` (commits of its branches, tags and HEAD on no remote-tracking branch),
    ///   one `tag=<name> <object>` per tag, `stashes=<n>`, `changed=<n>` (files with uncommitted
    ///   changes), `worktree=<commit>` (the work tree as it is: HEAD, or a commit of its
    ///   uncommitted changes on top; also at `refs/git-sprite/worktree`), and when there are
    ///   uncommitted changes `uncommitted=<commit>`, `uncommitted=shipped` (exactly the snapshot
    ///   `up` brought, which the user still has), `uncommitted=home` (exactly what `apply` took
    ///   home, `gitsprite.applied`) or `uncommitted=unreadable`.
    /// - Exit 0; 3 when `$1` is not a usable repository.
    public static let inventory = InSpriteScript(name: "git-sprite-inventory", text: uncommittedTreeFunction + #"""
        [ -e "$1/.git" ] || { echo state=missing; exit 0; }
        { cd "$1" && git rev-parse --git-dir >/dev/null 2>&1; } || { echo "$1 is not a usable git repository" >&2; exit 3; }
        echo state=exists
        look() {
          echo "repo=$1"
          head=$(git rev-parse -q --verify HEAD) && echo "head=$head"
          branch=$(git symbolic-ref -q --short HEAD) && echo "branch=$branch"
          if [ -n "$head" ]; then set -- HEAD; else set --; fi
          echo "unpushed=$(git rev-list --count "$@" --branches --tags --not --remotes 2>/dev/null || echo 0)"
          git for-each-ref --format='tag=%(refname:strip=2) %(objectname)' refs/tags
          git for-each-ref --format='%(refname)' refs/git-sprite/stash/ | while IFS= read -r ref; do
            git update-ref -d "$ref"
          done
          n=0
          for entry in $(git stash list --format=%H 2>/dev/null); do
            git update-ref "refs/git-sprite/stash/$n" "$entry" && n=$((n + 1))
          done
          echo "stashes=$n"
          git update-ref -d refs/git-sprite/uncommitted 2>/dev/null
          git update-ref -d refs/git-sprite/worktree 2>/dev/null
          changes=$(git status --porcelain --untracked-files=all --ignore-submodules=all 2>/dev/null)
          if [ -z "$changes" ]; then
            echo changed=0
            [ -z "$head" ] || { git update-ref refs/git-sprite/worktree "$head" && echo "worktree=$head"; }
            return 0
          fi
          echo "changed=$(( $(printf '%s\n' "$changes" | wc -l) ))"
          if [ -n "$head" ]; then set -- -p "$head"; else set --; fi
          if ! tree=$(uncommitted_tree) \
             || ! commit=$(GIT_AUTHOR_NAME=git-sprite GIT_AUTHOR_EMAIL=git-sprite@sprite.invalid \
                           GIT_COMMITTER_NAME=git-sprite GIT_COMMITTER_EMAIL=git-sprite@sprite.invalid \
                           git commit-tree "$@" -m "uncommitted changes in the sprite" "$tree") \
             || ! git update-ref refs/git-sprite/worktree "$commit"; then
            echo uncommitted=unreadable
            return 0
          fi
          echo "worktree=$commit"
          if [ "$tree" = "$(git config --get gitsprite.snapshot)" ]; then
            echo uncommitted=shipped
          elif [ "$tree" = "$(git config --get gitsprite.applied)" ]; then
            echo uncommitted=home
          elif git update-ref refs/git-sprite/uncommitted "$commit"; then
            echo "uncommitted=$commit"
          else
            echo uncommitted=unreadable
          fi
        }
        look .
        top=$PWD
        # $displaypath expands in the shell foreach starts, not here
        # shellcheck disable=SC2016
        git submodule foreach --quiet --recursive 'echo "$displaypath"' 2>/dev/null | while IFS= read -r sub; do
          (cd "$top/$sub" && look "$sub")
        done
        """#)
}
