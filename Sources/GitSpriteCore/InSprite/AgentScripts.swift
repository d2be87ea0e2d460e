extension InSpriteScript {
    /// The agent's supervisor, run by the sprite's `agent` service (written to
    /// `Agent.supervisor`): starts the agent in a tmux session with its arguments as they are
    /// (never through a shell), waits while the session lives, and ends it when stopped.
    ///
    /// - `$1` the tmux session (the sprite's name); `$2…` the agent's command and arguments
    ///   (`claude` becomes `claude --continue` after the first start).
    /// - Writes `agent.failed` (its exit status, then its last screen) in git-sprite's
    ///   directory when the agent ends within five seconds of its start; writes the state hook
    ///   (`agentHook`) to `agent-hook` and, for `claude`, installs the hooks that run it
    ///   (`installClaudeHooks`); appends a heartbeat (epoch seconds) to `activity` at the start
    ///   and every minute while the agent's session lives.
    /// - Exit: the agent's status; 143 when stopped; 1 when tmux could not start it.
    public static let agentSupervisor = InSpriteScript(
        name: "git-sprite-agent",
        text: """
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
            # the state hook, and (for Claude Code) the hooks that run it
            cat > "$dir/agent-hook.new" <<'GIT_SPRITE_AGENT_HOOK'
            \(agentHook.text)
            GIT_SPRITE_AGENT_HOOK
            chmod 0755 "$dir/agent-hook.new" && mv -f "$dir/agent-hook.new" "$dir/agent-hook"
            # the same, on the agent's PATH, for any agent: git-sprite-agent-state working|waiting|finished
            mkdir -p "$dir/bin"
            # shellcheck disable=SC2016
            printf '#!/bin/sh\nexec sh %s/agent-hook "$@" </dev/null\n' "$dir" > "$dir/bin/git-sprite-agent-state.new"
            chmod 0755 "$dir/bin/git-sprite-agent-state.new" && mv -f "$dir/bin/git-sprite-agent-state.new" "$dir/bin/git-sprite-agent-state"
            PATH="$dir/bin:$PATH"
            export PATH
            if [ "$1" = claude ]; then
                cat > "$dir/claude-hooks" <<'GIT_SPRITE_CLAUDE_HOOKS'
            \(installClaudeHooks.text)
            GIT_SPRITE_CLAUDE_HOOKS
                sh "$dir/claude-hooks" "$dir/agent-hook" >/dev/null
            fi
            # the pane runs the agent under a small shell that records how it ended: under load
            # tmux can leave its child a zombie for seconds and not know the status. The words
            # are passed as words (a one-word command is run as a word, never through a shell);
            # the single quotes are the point: $0 and $@ expand in that shell, not here.
            rm -f "$dir/agent.status" "$dir/agent.state"
            # shellcheck disable=SC2016
            set -- sh -c '"$@"; code=$?; echo "$code" > "$0.new" && mv -f "$0.new" "$0"; exit "$code"' "$dir/agent.status" "$@"
            # the agent's environment (sprite.agent.env), written by git-sprite 0600; a fresh tmux
            # server, so the session gets this environment and not one an older server kept
            # shellcheck source=/dev/null
            if [ -f "$dir/agent.env" ]; then . "$dir/agent.env" || exit 1; fi
            tmux -S "$sock" kill-server 2>/dev/null
            cd \(SpritePaths.workspace) 2>/dev/null || cd \(SpritePaths.home) || exit 1
            # remain-on-exit from the server's start, so an agent that dies at once leaves its screen
            printf 'set -g remain-on-exit on\nset -g history-limit 10000\n' > "$dir/tmux.conf"
            # stopping the service ends the agent too (tmux's server would outlive this script);
            # set before the session starts, so a stop that comes while it starts ends it as well
            trap 'tmux -S "$sock" kill-session -t "=$session" 2>/dev/null; exit 143' TERM INT HUP
            tmux -S "$sock" -f "$dir/tmux.conf" new-session -d -s "$session" -x 200 -y 50 -- "$@" || exit 1
            tmux -S "$sock" set-option -g remain-on-exit on >/dev/null
            started=$(date +%s)
            # a heartbeat a minute while the sprite runs (a sleeping sprite's processes are frozen):
            # what `status` estimates the compute cost from
            echo "$started" >> "$dir/activity"
            beat=0
            while tmux -S "$sock" has-session -t "=$session" 2>/dev/null; do
                beat=$((beat + 1))
                if [ "$beat" -ge 60 ]; then
                    date +%s >> "$dir/activity"
                    beat=0
                fi
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
                    # output: a blank screen is looked at again for a moment (up to 3 s: 1 s was
                    # seen to miss it with both cores busy)
                    tries=0
                    while tmux -S "$sock" capture-pane -p -t "=$session:" -S -40 > "$dir/agent.last" \
                        && ! grep -q '[^[:space:]]' "$dir/agent.last" && [ $tries -lt 30 ]; do
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

extension InSpriteScript {
    /// Records the agent's state, for `status` and `wait`: Claude Code's hooks run it
    /// (`UserPromptSubmit` and `PreToolUse`: working; `Notification` for a permission prompt or
    /// a question: waiting; `Stop`: finished), and any other agent may run it too. Written to
    /// `Agent.hook`.
    ///
    /// - `$1` `working`, `waiting` or `finished` (anything else is ignored); stdin: the hook's
    ///   JSON as Claude Code sends it (read, at most 64 KiB kept; may be empty).
    /// - A `waiting` whose payload is a notification other than `permission_prompt` or
    ///   `elicitation_dialog` changes nothing: Claude's idle reminder (`idle_prompt`, sent a
    ///   minute after `Stop`, or its message "waiting for your input" from versions without
    ///   `notification_type`) must not turn a finished turn into "waiting".
    /// - Writes `<state> <epoch seconds>` to `agent.state` in git-sprite's directory, whole.
    /// - Exit 0 always: a hook must never stop the agent.
    public static let agentHook = InSpriteScript(
        name: "git-sprite-agent-hook",
        text: """
            #!/bin/sh
            # git-sprite: records the agent's state (run by Claude Code's hooks).
            dir=\(SpritePaths.state)
            payload=""
            [ -t 0 ] || payload=$(head -c 65536 2>/dev/null; cat >/dev/null 2>&1)
            case "$1" in
              working|finished) ;;
              waiting)
                flat=$(printf '%s' "$payload" | tr '\\n' ' ')
                kind=$(printf '%s' "$flat" | sed -n 's/.*"notification_type"[[:space:]]*:[[:space:]]*"\\([A-Za-z_]*\\)".*/\\1/p')
                case "$kind" in
                  permission_prompt|elicitation_dialog) ;;
                  "") case "$flat" in *'waiting for your input'*) exit 0 ;; esac ;;
                  *) exit 0 ;;
                esac ;;
              *) exit 0 ;;
            esac
            printf '%s %s\\n' "$1" "$(date +%s)" > "$dir/agent.state.new" && mv -f "$dir/agent.state.new" "$dir/agent.state"
            exit 0
            """)

    /// Installs the hooks that run `agentHook` in Claude Code's user settings
    /// (`~/.claude/settings.json`), unless that file is someone else's: a file git-sprite did
    /// not write is left as it is.
    ///
    /// - `$1` the hook script's path.
    /// - Prints `hooks=installed` or `hooks=kept` (a settings file of the user's own).
    /// - Exit 0; 1 when the settings could not be written.
    public static let installClaudeHooks = InSpriteScript(
        name: "git-sprite-claude-hooks",
        text: #"""
            settings="$HOME/.claude/settings.json"
            if [ -s "$settings" ] && ! grep -q 'git-sprite/agent-hook' "$settings"; then
              echo hooks=kept
              exit 0
            fi
            mkdir -p "$HOME/.claude" || exit 1
            # the Notification matcher is matched against notification_type: a permission prompt
            # or a question waits for the user; the idle reminder after Stop does not
            hook() { printf '[{"matcher": "%s", "hooks": [{"type": "command", "command": "sh %s %s"}]}]' "$3" "$1" "$2"; }
            {
              printf '{\n  "hooks": {\n'
              printf '    "UserPromptSubmit": %s,\n' "$(hook "$1" working "")"
              printf '    "PreToolUse": %s,\n' "$(hook "$1" working "*")"
              printf '    "Notification": %s,\n' "$(hook "$1" waiting "permission_prompt|elicitation_dialog")"
              printf '    "Stop": %s\n' "$(hook "$1" finished "")"
              printf '  }\n}\n'
            } > "$settings.new" && mv -f "$settings.new" "$settings" || exit 1
            echo hooks=installed
            """#)

    /// Looks at the agent and the workspace without changing anything, for `status --deep`
    /// and `wait`.
    ///
    /// - `$1` the tmux session (the sprite's name); `$2` the repository; `$3…` commits that
    ///   are home (what `up` shipped, what was fetched), hexadecimal.
    /// - Prints `now=<epoch>`; `running=<seconds the sprite ran, from the supervisor's
    ///   heartbeats>` when it has any; `agent=running` with `activity=<epoch of the pane's last
    ///   output>` and, when the agent reported one, `state=<working|waiting|finished>` and
    ///   `since=<epoch>`; or `agent=exited` with `exit=<status>` and `since=`; or `agent=none`.
    ///   Then `repo=missing`, or `head=`, `unfetched=<commits on HEAD and branches that are not
    ///   home>` and `changed=<paths with uncommitted changes that are the sprite's own work, not
    ///   what up shipped or apply took home (unexplained_changes)>`.
    /// - Exit 0.
    public static let agentLook = InSpriteScript(
        name: "git-sprite-look",
        text: uncommittedTreeFunction
            + unexplainedChangesFunction + #"""
                dir=\#(SpritePaths.state)
                sock="$dir/tmux.sock"
                session="$1"; repo="$2"; shift 2
                echo "now=$(date +%s)"
                # seconds the sprite ran, from the supervisor's heartbeats (gaps over 90 s: it slept)
                [ -f "$dir/activity" ] && echo "running=$(awk 'NR > 1 && $1 - p <= 90 { s += $1 - p } { p = $1 } END { print s + 0 }' "$dir/activity")"
                dead=$(tmux -S "$sock" display-message -p -t "=$session:" '#{pane_dead}' 2>/dev/null) || dead=gone
                if [ "$dead" != gone ] && [ "$dead" != 1 ]; then
                  echo agent=running
                  echo "activity=$(tmux -S "$sock" display-message -p -t "=$session:" '#{window_activity}')"
                  if [ -f "$dir/agent.state" ] && read -r state since < "$dir/agent.state"; then
                    echo "state=$state"
                    echo "since=$since"
                  fi
                elif [ -f "$dir/agent.status" ]; then
                  echo agent=exited
                  echo "exit=$(cat "$dir/agent.status")"
                  echo "since=$(stat -c %Y "$dir/agent.status")"
                else
                  echo agent=none
                fi
                { cd "$repo" 2>/dev/null && head=$(git rev-parse -q --verify HEAD); } || { echo repo=missing; exit 0; }
                echo "head=$head"
                for commit do
                  shift
                  git cat-file -e "$commit^{commit}" 2>/dev/null && set -- "$@" "$commit"
                done
                echo "unfetched=$(git rev-list --count HEAD --branches --not "$@" -- 2>/dev/null || echo 0)"
                changes=$(changed_paths)
                if [ -z "$changes" ]; then
                  echo changed=0
                  exit 0
                fi
                # the paths that are the sprite's own work (not what up shipped or apply took home)
                if tree=$(uncommitted_tree) && theirs=$(own_changes "$tree" "$head"); then
                  if [ -z "$theirs" ]; then echo changed=0; else echo "changed=$(( $(printf '%s\n' "$theirs" | wc -l) ))"; fi
                else
                  echo "changed=$(( $(printf '%s\n' "$changes" | wc -l) ))"
                fi
                """#)
}

extension InSpriteScript {
    /// Reads the agent's screen and history, for `git sprite logs`: wrapped lines joined as
    /// tmux joins them (`capture-pane -J`), escape sequences kept only for `raw`.
    ///
    /// - `$1` the tmux session; `$2` `tail` (the last `$3` rows of history, all of them when 0,
    ///   and the screen) or `from` (rows from absolute row `$3` up to the line before the
    ///   cursor: what `-f` has not printed yet); `$4` `raw` or `plain`.
    /// - Prints header lines, `--`, then the text. Headers: `agent=running` with
    ///   `next=<absolute row of the cursor line>`, `history=<rows of history>` and
    ///   `limit=<the most rows tmux keeps>` (past it tmux drops the oldest tenth, and every
    ///   absolute row moves back by that much); or `agent=exited` with `exit=<status>`, or
    ///   `agent=none`, the text then being the last screen the supervisor kept.
    /// - Exit 0.
    public static let agentScreen = InSpriteScript(
        name: "git-sprite-screen",
        text: #"""
            dir=\#(SpritePaths.state)
            sock="$dir/tmux.sock"
            session="$1"; mode="$2"; count="$3"
            if [ "$4" = raw ]; then escapes=-e; else escapes=; fi
            look() { tmux -S "$sock" display-message -p -t "=$session:" '#{history_size} #{cursor_y} #{pane_dead} #{history_limit}' 2>/dev/null; }
            text=$(mktemp) || exit 3
            # the rows are read by number after the pane's size: output between the two moves
            # them, so the size is read again after, and the read made again until it held still
            # (a few times at most; a pane that never holds still gives the last read)
            tries=0
            while :; do
              info=$(look)
              # shellcheck disable=SC2086
              [ -n "$info" ] && set -- $info
              if [ -z "$info" ] || [ "$3" = 1 ]; then
                rm -f "$text"
                if [ -f "$dir/agent.status" ]; then echo agent=exited; echo "exit=$(cat "$dir/agent.status")"; else echo agent=none; fi
                echo --
                [ -f "$dir/agent.last" ] && cat "$dir/agent.last"
                exit 0
              fi
              history=$1; cursor=$2; limit=$4
              : > "$text"
              if [ "$mode" = tail ]; then
                if [ "$count" -gt 0 ] 2>/dev/null; then start=-$count; else start=-; fi
                tmux -S "$sock" capture-pane -p -J ${escapes:+"$escapes"} -t "=$session:" -S "$start" -E "$cursor" > "$text"
              else
                start=$((count - history))
                [ "$start" -ge "-$history" ] || start=-$history
                end=$((cursor - 1))
                if [ "$end" -ge "$start" ]; then
                  tmux -S "$sock" capture-pane -p -J ${escapes:+"$escapes"} -t "=$session:" -S "$start" -E "$end" > "$text"
                fi
              fi
              tries=$((tries + 1))
              [ "$(look)" = "$info" ] || [ "$tries" -ge 5 ] && break
            done
            echo agent=running
            echo "next=$((history + cursor))"
            echo "history=$history"
            echo "limit=$limit"
            echo --
            cat "$text"
            rm -f "$text"
            exit 0
            """#)
}
