extension InSpriteScript {
    /// Holds a lock in the sprite for as long as its stdin stays open (`SpriteLock`), and
    /// once it is held gives the sprite the git identity the agent commits with, and runs the
    /// first look at the code (`probe`) without a round trip of its own.
    ///
    /// - `$1` the lock file; `$2` seconds to wait for it; `$3` the staging directory, emptied
    ///   once the lock is held (only the holder ships, so what is there was left by earlier
    ///   runs); `$4` and `$5` the name and email for `user.name`/`user.email` in the sprite's
    ///   `~/.gitconfig` (an empty one is left as it is).
    /// - `$6`, when not empty, the length in bytes of a script that comes first on stdin,
    ///   followed by one line of arguments (words without spaces); `$7` a first argument put
    ///   before them. Once the lock is held the script runs with them as `probe` and its output
    ///   follows `locked`, ended by `probed=STATUS`. So the look happens under the lock, and
    ///   its arguments (the snapshot, made while the lock is on its way) can come late.
    /// - `$8`, when not empty: nothing is done before a first line `go` on stdin (the lock was
    ///   asked for while the sprite was being looked up, and it may turn out not to be this
    ///   repository's); input that ends or says anything else exits 0 having touched nothing.
    /// - Prints `waiting` when another holder has it, then `locked` once it is held (`locked
    ///   first` when no run ever held it before: nothing can have been shipped); holds it
    ///   until stdin ends (the caller closes it, or the server ends a disconnected command).
    /// - Exit 0 once released; 75 when the wait ran out; 1 when the lock file cannot be opened.
    public static let lock = InSpriteScript(
        name: "git-sprite-lock",
        text: #"""
            if [ -n "$8" ]; then IFS= read -r go && [ "$go" = go ] || exit 0; fi
            { mkdir -p "${1%/*}" && exec 9>>"$1"; } || exit 1
            if ! flock -n 9; then echo waiting; flock -w "$2" 9 || exit 75; fi
            [ -z "$3" ] || rm -rf "${3:?}"/* || exit 1
            [ -z "$4" ] || git config --global user.name "$4" || exit 1
            [ -z "$5" ] || git config --global user.email "$5" || exit 1
            if [ -s "$1" ]; then echo locked; else echo locked first; fi
            echo held >>"$1"
            if [ -n "$6" ]; then
              script=$(head -c "$6") && IFS=' ' read -r args || script='exit 4'
              # shellcheck disable=SC2086 # the arguments are words without spaces
              (set -- "$7" $args && eval "$script") 9>&-
              echo "probed=$?"
            fi
            exec cat >/dev/null
            """#)
}
