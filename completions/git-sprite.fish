# fish completion for git sprite, for both `git-sprite …` and `git sprite …`. Fish 3.6's git
# completion never hands `git sprite …` to git-sprite's completions (it completes file names
# there), so this file registers everything for the `git` command too, under a condition that
# reads the command line itself. Installed twice: as vendor_completions.d/git-sprite.fish (loaded
# for `git-sprite`) and vendor_conf.d/git-sprite.fish (loaded at start-up, for `git sprite`).

# The words after `git-sprite`, or after `git [git options] sprite`; fails for anything else.
function __git_sprite_args
    set -l tokens (commandline -opc)
    if test "$tokens[1]" = git-sprite
        set -e tokens[1]
    else if test "$tokens[1]" = git
        set -e tokens[1]
        while set -q tokens[1]
            switch $tokens[1]
                case -C -c --git-dir --work-tree --namespace
                    set -e tokens[1..2]
                case '-*'
                    set -e tokens[1]
                case '*'
                    break
            end
        end
        test "$tokens[1]" = sprite; or return 1
        set -e tokens[1]
    else
        return 1
    end
    for t in $tokens
        echo $t
    end
    return 0
end

# No subcommand yet.
function __git_sprite_needs_command
    set -l args (__git_sprite_args); or return 1
    for a in $args
        string match -q -- '-*' $a; or return 1
    end
    return 0
end

# The subcommand is one of the arguments (any, without arguments).
function __git_sprite_using
    set -l args (__git_sprite_args); or return 1
    for a in $args
        string match -q -- '-*' $a; and continue
        test (count $argv) -eq 0; and return 0
        contains -- $a $argv
        return
    end
    return 1
end

# Branches that have a sprite, from the mapping `up` records (offline: no API call).
function __git_sprite_branches
    git config --get-regexp '^branch\..*\.sprite$' 2>/dev/null | string replace -r '^branch\.(.*)\.sprite .*' '$1'
end

complete -c git-sprite -f
complete -c git -n __git_sprite_using -f
complete -c git -n __git_sprite_needs_command -f
for cmd in git-sprite git
    complete -c $cmd -n __git_sprite_needs_command -l version -d 'Show the version'
    complete -c $cmd -n __git_sprite_needs_command -a plan -d 'Show what up would do'
    complete -c $cmd -n __git_sprite_needs_command -a up -d 'Create or resume the sprite, ship the code, start the agent'
    complete -c $cmd -n __git_sprite_needs_command -a attach -d 'Join the agent\'s tmux session'
    complete -c $cmd -n __git_sprite_needs_command -a down -d 'Bring the work home; park or destroy the sprite'
    complete -c $cmd -n __git_sprite_needs_command -a status -d 'List this repository\'s sprites and agents'
    complete -c $cmd -n __git_sprite_needs_command -a ls -d 'List sprites'
    complete -c $cmd -n __git_sprite_needs_command -a logs -d 'Show the agent\'s recent output'
    complete -c $cmd -n __git_sprite_needs_command -a wait -d 'Wait until the agent is finished, waiting or gone'
    complete -c $cmd -n __git_sprite_needs_command -a fetch -d 'Bring the sprite\'s commits home'
    complete -c $cmd -n __git_sprite_needs_command -a diff -d 'Show what the agent changed since up'
    complete -c $cmd -n __git_sprite_needs_command -a log -d 'List the agent\'s commits since up'
    complete -c $cmd -n __git_sprite_needs_command -a apply -d 'Bring the sprite\'s uncommitted changes here'
    complete -c $cmd -n __git_sprite_needs_command -a checkpoint -d 'Checkpoint the sprite'
    complete -c $cmd -n __git_sprite_needs_command -a restore -d 'Restore a checkpoint'
    complete -c $cmd -n __git_sprite_needs_command -a host -d 'Start, see or stop the local sprite-host'
    complete -c $cmd -n __git_sprite_needs_command -a cost -d 'Estimate what a sprite costs'
    complete -c $cmd -n __git_sprite_needs_command -a prune -d 'Delete the sprites git says are done with'
    complete -c $cmd -n __git_sprite_needs_command -a exec -d 'Run a command in the sprite'
    complete -c $cmd -n __git_sprite_needs_command -a shell -d 'Open a login shell in the sprite'
    complete -c $cmd -n __git_sprite_needs_command -a forward -d 'Forward local ports to the sprite'
    complete -c $cmd -n __git_sprite_needs_command -a url -d 'Print or open the sprite\'s own URL'
    complete -c $cmd -n __git_sprite_needs_command -a cp -d 'Copy files between here and a sprite'
    complete -c $cmd -n __git_sprite_needs_command -a link -d 'Declare a linked repository'
    complete -c $cmd -n __git_sprite_needs_command -a unlink -d 'Remove a linked repository'
    complete -c $cmd -n __git_sprite_needs_command -a config -d 'Show the effective configuration'
    complete -c $cmd -n __git_sprite_needs_command -a help -d 'Show help for a command'
    complete -c $cmd -n __git_sprite_using -s v -l verbose -d 'Show low-level detail'
    complete -c $cmd -n __git_sprite_using -s q -l quiet -d 'Print only essential output'
    complete -c $cmd -n __git_sprite_using -s h -l help -d 'Show help'
    complete -c $cmd -n '__git_sprite_using plan up status ls link unlink config checkpoint restore wait url logs fetch apply cp down' -l json -d 'Print JSON'
    complete -c $cmd -n '__git_sprite_using up' -s m -l message -r -d 'Prompt for the agent'
    complete -c $cmd -n '__git_sprite_using up plan' -l name -r -d 'Sprite name'
    complete -c $cmd -n '__git_sprite_using up' -l no-agent -d 'Do not start the agent'
    complete -c $cmd -n '__git_sprite_using up' -l local -d 'Use a local sprite-host'
    complete -c $cmd -n '__git_sprite_using up' -l no-changes -d 'Do not ship uncommitted changes'
    complete -c $cmd -n '__git_sprite_using up' -l ttl -r -d 'How long the sprite lives (3d, 1w)'
    complete -c $cmd -n '__git_sprite_using cost' -l hours -r -d 'Hours of running'
    complete -c $cmd -n '__git_sprite_using cost' -l cpu -r -d 'CPUs (1-8)'
    complete -c $cmd -n '__git_sprite_using cost' -l memory -r -d 'Memory in GB (1-16)'
    complete -c $cmd -n '__git_sprite_using cost' -l storage -r -d 'Storage in GB'
    complete -c $cmd -n '__git_sprite_using cost' -l idle-week -d 'A week asleep'
    complete -c $cmd -n '__git_sprite_using cost prune' -l json -d 'Print JSON'
    complete -c $cmd -n '__git_sprite_using prune' -l merged -d 'Branch merged'
    complete -c $cmd -n '__git_sprite_using prune' -l gone -d 'Branch or upstream gone'
    complete -c $cmd -n '__git_sprite_using prune' -l expired -d 'Time to live passed'
    complete -c $cmd -n '__git_sprite_using prune' -l older-than -r -d 'Created longer ago than'
    complete -c $cmd -n '__git_sprite_using prune' -l idle -r -d 'Idle longer than'
    complete -c $cmd -n '__git_sprite_using prune' -l dry-run -d 'Delete nothing'
    complete -c $cmd -n '__git_sprite_using prune' -l yes -d 'Delete without asking'
    complete -c $cmd -n '__git_sprite_using prune' -l force -d 'Even when work would be lost'
    complete -c $cmd -n '__git_sprite_using down' -l destroy -d 'Delete the sprite'
    complete -c $cmd -n '__git_sprite_using down restore' -l force -d 'Even when work would be lost'
    complete -c $cmd -n '__git_sprite_using down' -l keep -d 'Park even with autoDestroy'
    complete -c $cmd -n '__git_sprite_using down' -l checkpoint -d 'Checkpoint before parking'
    complete -c $cmd -n '__git_sprite_using attach' -l print -d 'Print the equivalent sprite command'
    complete -c $cmd -n '__git_sprite_using attach' -l detach-key -x -a 'ctrl-] ctrl-x none' -d 'A key that detaches'
    complete -c $cmd -n '__git_sprite_using status ls' -l all -d 'Every git-sprite sprite'
    complete -c $cmd -n '__git_sprite_using status ls' -l deep -d 'Look into cold sprites too'
    complete -c $cmd -n '__git_sprite_using status ls' -l format -r -d 'A line per sprite from a template'
    complete -c $cmd -n '__git_sprite_using logs' -s f -l follow -d 'Keep printing new output'
    complete -c $cmd -n '__git_sprite_using logs' -s n -l lines -r -d 'Only the last lines'
    complete -c $cmd -n '__git_sprite_using logs' -l raw -d 'Keep escape sequences'
    complete -c $cmd -n '__git_sprite_using wait' -l timeout -r -d 'Give up after (90s, 15m, 2h)'
    complete -c $cmd -n '__git_sprite_using fetch' -l all -d 'Every sprite of this repository'
    complete -c $cmd -n '__git_sprite_using diff log' -l stat -d 'Diffstat'
    complete -c $cmd -n '__git_sprite_using log' -l oneline -d 'One line per commit'
    complete -c $cmd -n '__git_sprite_using log' -s p -l patch -d 'Patch per commit'
    complete -c $cmd -n '__git_sprite_using checkpoint' -s m -l message -r -d 'Comment'
    complete -c $cmd -n '__git_sprite_using checkpoint' -l list -d 'List checkpoints'
    complete -c $cmd -n '__git_sprite_using link' -l as -r -d 'Mount name'
    complete -c $cmd -n '__git_sprite_using host' -a 'start status stop' -d 'Local sprite-host'
    complete -c $cmd -n '__git_sprite_using host' -l json -d 'Print JSON'
    complete -c $cmd -n '__git_sprite_using exec' -l dir -r -d 'Working directory in the sprite'
    complete -c $cmd -n '__git_sprite_using exec' -s t -l tty -d 'Run on a terminal in the sprite'
    complete -c $cmd -n '__git_sprite_using exec' -s i -l interactive -d 'Forward stdin even from a terminal'
    complete -c $cmd -n '__git_sprite_using forward' -l auto -d 'Forward every port the sprite opens'
    complete -c $cmd -n '__git_sprite_using url' -l public -d 'Anyone may open it'
    complete -c $cmd -n '__git_sprite_using url' -l private -d 'Ask for a login'
    complete -c $cmd -n '__git_sprite_using url' -l open -d 'Open it in a browser'
    complete -c $cmd -n '__git_sprite_using cp' -s r -l recursive -d 'Copy directories'
    complete -c $cmd -n '__git_sprite_using cp' -F
    complete -c $cmd -n '__git_sprite_using attach shell forward url down logs wait fetch diff log apply checkpoint restore exec' \
        -a '(__git_sprite_branches)' -d 'Branch with a sprite'
    complete -c $cmd -n '__git_sprite_using link' -a '(__fish_complete_directories)'
    complete -c $cmd -n '__git_sprite_using unlink' -a '(git config --get-regexp "^sprite\.link\..*\.path\$" 2>/dev/null | string replace -r "^sprite\.link\.(.*)\.path .*" "\$1")'
end
