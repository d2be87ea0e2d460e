extension InSpriteScript {
    /// The agent's supervisor, run by the sprite's `agent` service (written to
    /// `Agent.supervisor`): starts the agent in a tmux session with its arguments as they are
    /// (never through a shell), waits while the session lives, and ends it when stopped.
    ///
    /// - `$1` the tmux session (the sprite's name); `$2…` the agent's command and arguments
    ///   (`claude` becomes `claude --continue` after the first start).
    /// - Writes `agent.failed` (its exit status, then its last screen) in git-sprite's
    ///   directory when the agent ends within five seconds of its start.
    /// - Exit: the agent's status; 143 when stopped; 1 when tmux could not start it.
    public static let agentSupervisor = InSpriteScript(name: "git-sprite-agent", text: """
        #!/bin/sh
        # git-sprite agent supervisor, run by the sprite's "agent" service.
        dir=\(SpritePaths.state)
        sock="$dir/tmux.sock"
        session="$1"; shift
        rm -f "$dir/agent.failed"
        if [ -e "$dir/agent.started" ] && [ "$1" = claude ]; then
            set -- claude --continue
        fi
        touch "$dir/agent.started"
        # the pane runs the agent under a small shell that records how it ended: under load
        # tmux can leave its child a zombie for seconds and not know the status. The words
        # are passed as words (a one-word command is run as a word, never through a shell);
        # the single quotes are the point: $0 and $@ expand in that shell, not here.
        rm -f "$dir/agent.status"
        # shellcheck disable=SC2016
        set -- sh -c '"$@"; code=$?; echo "$code" > "$0.new" && mv -f "$0.new" "$0"; exit "$code"' "$dir/agent.status" "$@"
        tmux -S "$sock" kill-session -t "=$session" 2>/dev/null
        cd \(SpritePaths.workspace) 2>/dev/null || cd \(SpritePaths.home) || exit 1
        # remain-on-exit from the server's start, so an agent that dies at once leaves its screen
        printf 'set -g remain-on-exit on\nset -g history-limit 10000\n' > "$dir/tmux.conf"
        tmux -S "$sock" -f "$dir/tmux.conf" new-session -d -s "$session" -x 200 -y 50 -- "$@" || exit 1
        tmux -S "$sock" set-option -g remain-on-exit on >/dev/null
        started=$(date +%s)
        # stopping the service ends the agent too (tmux's server would outlive this script)
        trap 'tmux -S "$sock" kill-session -t "=$session" 2>/dev/null; exit 143' TERM INT HUP
        while tmux -S "$sock" has-session -t "=$session" 2>/dev/null; do
            if [ "$(tmux -S "$sock" display-message -p -t "=$session:" '#{pane_dead}')" = 1 ]; then
                # the pane reads as dead when its output closes, a moment before the status
                # is written
                tries=0
                code=
                while [ -z "$code" ] && [ $tries -lt 50 ]; do
                    code=$(cat "$dir/agent.status" 2>/dev/null) \
                        || code=$(tmux -S "$sock" display-message -p -t "=$session:" '#{pane_dead_status}')
                    [ -n "$code" ] || sleep 0.1
                    tries=$((tries + 1))
                done
                # and under load the process may be reaped before tmux has drawn its last
                # output: a blank screen is looked at again for a moment
                tries=0
                while tmux -S "$sock" capture-pane -p -t "=$session:" -S -40 > "$dir/agent.last" \
                    && ! grep -q '[^[:space:]]' "$dir/agent.last" && [ $tries -lt 10 ]; do
                    sleep 0.1
                    tries=$((tries + 1))
                done
                tmux -S "$sock" kill-session -t "=$session"
                if [ $(( $(date +%s) - started )) -lt 5 ]; then
                    # whole or not at all: up reads it while this runs
                    { echo "exit status ${code:-?}"; cat "$dir/agent.last"; } > "$dir/agent.failed.new"
                    mv -f "$dir/agent.failed.new" "$dir/agent.failed"
                fi
                exit "${code:-1}"
            fi
            sleep 1
        done
        """)
}
