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
    ///   one `heads=<branch>` per branch, one `tag=<name> <object>` per tag, `stashes=<n>`,
    ///   `changed=<n>` (files with uncommitted changes), `worktree=<commit>` (the work tree as
    ///   it is: HEAD, or a commit of its uncommitted changes on top; also at
    ///   `refs/git-sprite/worktree`), and when there are uncommitted changes
    ///   `uncommitted=<commit>` with `theirs=<n>` (the paths that are the sprite's own work,
    ///   `unexplained_changes`), `uncommitted=shipped` (every changed path is one you have:
    ///   what `up` shipped or `apply` took home) or `uncommitted=unreadable`.
    ///   Then what git's branch and stash view does not show: one `fetch=<ref in the sprite>
    ///   <ref under refs/sprite/<sprite>/>` per further ref to bring home (notes, refs outside
    ///   heads, tags and remotes, the HEADs and uncommitted changes of linked worktrees, the
    ///   files named by `.spriteinclude` when the sprite changed them, the newest commit of each
    ///   line of commits only a reflog holds), `included=<n>` (how many of those it changed),
    ///   one `nested=<path>` per repository inside the work tree that is not a submodule, and
    ///   one `risk=<what>` per thing that cannot come home by fetching.
    /// - Exit 0; 3 when `$1` is not a usable repository.
    public static let inventory = InSpriteScript(
        name: "git-sprite-inventory",
        text: uncommittedTreeFunction + unexplainedChangesFunction + includedTreeFunction
            + checkedOutSubmodulesFunction + lastingRefsFunction + keepsOwnWorkFunction + #"""
                if [ ! -e "$1/.git" ]; then
                  # (a work tree whose .git the agent took away: its files are no less its work)
                  if [ -n "$(find "$1" -mindepth 1 -maxdepth 1 -print 2>/dev/null | head -n 1)" ]; then
                    echo state=exists; echo repo=.
                    echo "risk=$1 is no longer a git repository (its .git is gone): its files cannot come home by fetching"
                  else
                    echo state=missing
                  fi
                  exit 0
                fi
                { cd "$1" && git rev-parse --git-dir >/dev/null 2>&1; } || { echo "$1 is not a usable git repository" >&2; exit 3; }
                echo state=exists
                # make_commit MESSAGE TREE [PARENT…]: a commit of git-sprite's own (empty parents left out)
                make_commit() {
                  message=$1; tree=$2; shift 2
                  for parent do
                    shift
                    [ -z "$parent" ] || set -- "$@" -p "$parent"
                  done
                  GIT_AUTHOR_NAME=git-sprite GIT_AUTHOR_EMAIL=git-sprite@sprite.invalid \
                    GIT_COMMITTER_NAME=git-sprite GIT_COMMITTER_EMAIL=git-sprite@sprite.invalid \
                    git commit-tree "$tree" "$@" -m "$message"
                }
                # a commit of the work tree's uncommitted changes on top of HEAD ($1; none when
                # unborn); when the index holds what the work tree does not (staged_only), a commit
                # of the index is its second parent, as git stash keeps the index
                # moved_worktree ADMIN OLD: where the linked worktree whose record is ADMIN went
                # when it was moved with mv (not git worktree move): the directory whose .git file
                # points back at ADMIN, looked for beside OLD, then in the home directory
                moved_worktree() {
                  back=$(cd "$1" 2>/dev/null && pwd -P) || return 0
                  { find "${2%/*}" -mindepth 2 -maxdepth 2 -name .git -type f 2>/dev/null
                    find "${HOME:-/home/sprite}" -xdev -maxdepth 5 \( -name node_modules -o -name .cache -o -name .git -type d \) \
                      -prune -o -name .git -type f -print 2>/dev/null
                  } | while IFS= read -r dotgit; do
                    to=$(sed -n '1s/^gitdir: //p' "$dotgit" 2>/dev/null)
                    [ -n "$to" ] || continue
                    if [ "$(cd "${dotgit%/.git}" && cd "$to" 2>/dev/null && pwd -P)" = "$back" ]; then
                      printf '%s\n' "${dotgit%/.git}"
                      break
                    fi
                  done
                }
                work_commit() {
                  tree=$(uncommitted_tree) && index_tree=$(staged_tree) || return 1
                  staged=$(staged_only "$tree" "$1" "$index_tree") || return 1
                  if [ -n "$staged" ]; then
                    index_commit=$(make_commit "staged changes in the sprite" "$index_tree" "$1") || return 1
                    make_commit "uncommitted changes in the sprite" "$tree" "$1" "$index_commit"
                  else
                    make_commit "uncommitted changes in the sprite" "$tree" "$1"
                  fi
                }
                # pinned_here REPO: the commits the repository around this one (a submodule at
                # REPO, `.` for the top, which has none) pins it at: on its branches and tags, its
                # HEAD, its index and the commit of its changes
                pinned_here() {
                  [ "$1" != . ] || return 0
                  parent=$(cd .. && git rev-parse --show-toplevel 2>/dev/null) || return 0
                  here=$(pwd -P)
                  rel=${here#"$parent"/}
                  { for tip in $(git -C "$parent" for-each-ref --format='%(objectname)' refs/heads refs/tags refs/git-sprite/worktree) \
                               $(git -C "$parent" rev-parse -q --verify HEAD); do
                      git -C "$parent" ls-tree "$tip" -- ":(literal)$rel" 2>/dev/null
                    done | sed -n 's/^160000 commit \([0-9a-f]*\)	.*/\1/p'
                    # (and staged there: `git add` of the submodule, which status passes over)
                    git -C "$parent" ls-files -s -- ":(literal)$rel" 2>/dev/null | sed -n 's/^160000 \([0-9a-f]*\) .*/\1/p'
                  } | sort -u
                }
                # a ref name part made of what every ref name allows
                ref_part() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '-' | sed 's/^[.-]*//; s/[.]*$//; s/^$/x/'; }
                look() {
                  echo "repo=$1"
                  head=$(git rev-parse -q --verify HEAD) && echo "head=$head"
                  branch=$(git symbolic-ref -q --short HEAD) && echo "branch=$branch"
                  if [ -n "$head" ]; then set -- HEAD; else set --; fi
                  # (a branch of a remote in the sprite is no remote's: pushed there, it is still only here)
                  set -- "$@" --branches --tags --not
                  # (read once: every look below that asks what keeps a commit uses it)
                  lasting=$(lasting_refs)
                  for pattern in $lasting; do
                    case "$pattern" in refs/remotes/*) set -- "$@" "--remotes=${pattern#refs/remotes/}/*" ;; esac
                  done
                  echo "unpushed=$(git rev-list --count "$@" 2>/dev/null || echo 0)"
                  locals=$(local_remotes)
                  # every ref, read once: branches, tags, and the refs git's branch and stash view does
                  # not show (notes, any namespace of its own)
                  refs=$(git for-each-ref --format='%(refname) %(objectname)')
                  printf '%s\n' "$refs" | while read -r ref object; do
                    case "$ref" in
                      refs/remotes/*/git-sprite-pinned|refs/remotes/*/HEAD) ;;
                      refs/remotes/*)
                        remote=${ref#refs/remotes/}
                        if [ -n "$locals" ] && local_remote_ref "$remote"; then
                          echo "fetch=$ref refs/${ref#refs/}"
                        fi ;;
                      ""|refs/stash|refs/git-sprite/*) ;;
                      refs/heads/*) echo "heads=${ref#refs/heads/}" ;;
                      refs/tags/*) echo "tag=${ref#refs/tags/} $object" ;;
                      refs/notes/*) echo "fetch=$ref notes/${ref#refs/notes/}" ;;
                      *) echo "fetch=$ref refs/${ref#refs/}" ;;
                    esac
                  done
                  # what an earlier look made goes (never the snapshot or head `up` pushed, and never
                  # what a symbolic ref points to); one ref that cannot go does not keep the others
                  stale=$(printf '%s\n' "$refs" | while read -r ref _; do
                    case "$ref" in
                      refs/git-sprite/stash/*|refs/git-sprite/worktrees/*|refs/git-sprite/included) echo "$ref" ;;
                      refs/git-sprite/pins/*|refs/git-sprite/discarded/*) echo "$ref" ;;
                      refs/git-sprite/uncommitted|refs/git-sprite/worktree) echo "$ref" ;;
                    esac
                  done)
                  if [ -n "$stale" ] && ! printf '%s\n' "$stale" | while read -r ref; do echo "delete $ref"; done \
                     | git update-ref --no-deref --stdin 2>/dev/null; then
                    printf '%s\n' "$stale" | while read -r ref; do git update-ref --no-deref -d "$ref" 2>/dev/null; done
                  fi
                  n=0
                  # what `git stash list` shows, without the process it starts for it
                  for entry in $(git log -g --first-parent --format=%H refs/stash -- 2>/dev/null); do
                    if git update-ref "refs/git-sprite/stash/$n" "$entry"; then
                      n=$((n + 1))
                    else
                      echo "risk=the stash entry $entry could not be given a ref to come home by"
                    fi
                  done
                  echo "stashes=$n"
                  # commits only a reflog holds (amended, reset or rebased away, a branch deleted):
                  # git keeps them for weeks, a destroy for good. Each line of them comes home as
                  # discarded/<its newest commit>
                  git rev-list --parents --reflog --not --all -- 2>/dev/null \
                    | awk '{ c[NR] = $1; for (i = 2; i <= NF; i++) p[$i] = 1 }
                           END { for (n = 1; n <= NR; n++) if (!(c[n] in p)) print c[n] }' \
                    | while read -r tip; do
                        git update-ref "refs/git-sprite/discarded/$tip" "$tip" \
                          && echo "fetch=refs/git-sprite/discarded/$tip discarded/$tip"
                      done
                  # a commit the repository around this one pins it at (on a branch, HEAD, or its
                  # changes) that nothing lasting here holds, nor HEAD: the agent committed,
                  # pinned, and checked the submodule out elsewhere; the pin came home, its commit
                  # not
                  # shellcheck disable=SC2086
                  for pin in $(pinned_here "$1"); do
                    git cat-file -e "$pin^{commit}" 2>/dev/null || continue
                    if [ -n "$head" ] && git merge-base --is-ancestor "$pin" "$head" 2>/dev/null; then continue; fi
                    [ -z "$(git for-each-ref --count=1 --contains "$pin" --format=x $lasting)" ] || continue
                    git update-ref "refs/git-sprite/pins/$pin" "$pin" && echo "fetch=refs/git-sprite/pins/$pin pins/$pin"
                  done
                  # linked worktrees (git worktree add), read from git's own records of them
                  # (.git/worktrees/NAME, named by the directory's name, with a number added when
                  # another has that name already): a detached HEAD is on no branch, also when its
                  # directory was removed (git still keeps it), and their uncommitted changes are
                  # work like any other
                  # ours DIR: whether the repository at DIR is this one (a linked worktree of it,
                  # read with it here)
                  own_common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)
                  ours() { [ "$(git -C "$1" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" = "$own_common" ]; }
                  common=$(git rev-parse --git-common-dir) && for admin in "$common"/worktrees/*; do
                    [ -f "$admin/HEAD" ] || continue
                    name=$(ref_part "${admin##*/}")
                    # (a worktree on a branch with no commits yet has no HEAD, but may have work)
                    wthead=$(git --git-dir="$admin" rev-parse -q --verify HEAD) || wthead=""
                    if [ -n "$wthead" ] && ! git --git-dir="$admin" symbolic-ref -q HEAD >/dev/null; then
                      git update-ref "refs/git-sprite/worktrees/$name/head" "$wthead" \
                        && echo "fetch=refs/git-sprite/worktrees/$name/head worktrees/$name/head"
                    fi
                    wt=$(sed -n '1s|/\.git$||p' "$admin/gitdir" 2>/dev/null)
                    # (moved with mv, git's record still names the old place)
                    if [ -n "$wt" ] && [ ! -d "$wt" ]; then wt=$(moved_worktree "$admin" "$wt"); fi
                    if [ -z "$wt" ] || [ ! -d "$wt" ]; then continue; fi
                    if [ -n "$(cd "$wt" && changed_paths)" ]; then
                      if wtcommit=$(cd "$wt" && work_commit "$wthead") \
                         && git update-ref "refs/git-sprite/worktrees/$name/uncommitted" "$wtcommit"; then
                        echo "fetch=refs/git-sprite/worktrees/$name/uncommitted worktrees/$name/uncommitted"
                      fi
                      echo "risk=uncommitted changes in the linked worktree $wt"
                    fi
                  done
                  # a repository inside the work tree that is not a submodule: its commits are nowhere
                  # a fetch of this one reaches
                  # (untracked, or added as a bare gitlink that no .gitmodules entry makes a submodule)
                  { git ls-files -o --exclude-standard -z 2>/dev/null | tr '\0' '\n' | sed -n 's:/$::p'
                    registered=$(registered_paths)
                    gitlinks | while IFS= read -r link; do
                      names_path "$registered" "$link" || echo "$link"
                    done
                  } | while IFS= read -r nested; do
                    [ -e "$nested/.git" ] || continue
                    ! ours "$nested" || continue
                    echo "nested=$nested"
                    echo "risk=$nested is a repository of its own inside the work tree (not a submodule): its commits and changes cannot come home by fetching"
                  done
                  # a repository with work of its own in an ignored directory (the agent's scratch
                  # clone, a tool it made in build/): ls-files above leaves ignored paths out
                  git ls-files -o -i --exclude-standard --directory -z 2>/dev/null | tr '\0' '\n' | sed -n 's:/$::p' \
                    | while IFS= read -r dir; do find "./$dir" -xdev -name .git -prune -print 2>/dev/null; done \
                    | while IFS= read -r dotgit; do
                        nested=${dotgit#./}; nested=${nested%/.git}
                        ! ours "$nested" || continue
                        keeps_own_work "$nested" || continue
                        echo "nested=$nested"
                        echo "risk=$nested is a repository of its own in an ignored directory, with work no fetch brings (commits on none of its remotes, a stash or changes)"
                      done
                  # files named by .spriteinclude (ignored, shipped in the snapshot) that the sprite changed
                  if included=$(included_tree) && [ -n "$included" ] \
                     && commit=$(make_commit "files named by .spriteinclude, as the sprite left them" "${included#* }" "$head") \
                     && git update-ref refs/git-sprite/included "$commit"; then
                    echo "included=${included%% *}"
                    echo "fetch=refs/git-sprite/included included"
                  fi
                  changes=$(changed_paths)
                  if [ -z "$changes" ]; then
                    echo changed=0
                    [ -z "$head" ] || { git update-ref refs/git-sprite/worktree "$head" && echo "worktree=$head"; }
                    return 0
                  fi
                  echo "changed=$(( $(printf '%s\n' "$changes" | wc -l) ))"
                  if ! commit=$(work_commit "$head") || ! git update-ref refs/git-sprite/worktree "$commit"; then
                    echo uncommitted=unreadable
                    return 0
                  fi
                  echo "worktree=$commit"
                  if ! theirs=$(own_changes "$(git rev-parse "$commit^{tree}")" "$head"); then
                    echo uncommitted=unreadable
                  elif [ -z "$theirs" ]; then
                    echo uncommitted=shipped
                  elif git update-ref refs/git-sprite/uncommitted "$commit"; then
                    echo "uncommitted=$commit"
                    echo "theirs=$(( $(printf '%s\n' "$theirs" | wc -l) ))"
                  else
                    echo uncommitted=unreadable
                  fi
                }
                look .
                top=$PWD
                checked_out_submodules "" | while IFS= read -r sub; do
                  (cd "$top/$sub" && look "$sub")
                done
                """#)
}
