# fish completion for git sprite. Fish's git completion hands `git sprite …` to the
# completions of the `git-sprite` command, which this file defines.

set -l commands plan status ls exec link unlink config help
complete -c git-sprite -f
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -l version -d 'Show the version'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a plan -d 'Show what up would do'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a status -d 'List this repository\'s sprites'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a ls -d 'List sprites'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a exec -d 'Run a command in the sprite'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a link -d 'Declare a linked repository'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a unlink -d 'Remove a linked repository'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a config -d 'Show the effective configuration'
complete -c git-sprite -n "not __fish_seen_subcommand_from $commands" -a help -d 'Show help for a command'
complete -c git-sprite -n "__fish_seen_subcommand_from $commands" -s v -l verbose -d 'Show low-level detail'
complete -c git-sprite -n "__fish_seen_subcommand_from $commands" -s q -l quiet -d 'Print only essential output'
complete -c git-sprite -n "__fish_seen_subcommand_from $commands" -s h -l help -d 'Show help'
complete -c git-sprite -n "__fish_seen_subcommand_from plan status ls link config" -l json -d 'Print JSON'
complete -c git-sprite -n "__fish_seen_subcommand_from status ls" -l all -d 'Every git-sprite sprite'
complete -c git-sprite -n "__fish_seen_subcommand_from plan" -l name -r -d 'Sprite name'
complete -c git-sprite -n "__fish_seen_subcommand_from link" -l as -r -d 'Mount name'
complete -c git-sprite -n "__fish_seen_subcommand_from exec" -l dir -r -d 'Working directory in the sprite'
complete -c git-sprite -n "__fish_seen_subcommand_from link" -a '(__fish_complete_directories)'
complete -c git-sprite -n "__fish_seen_subcommand_from unlink" -a '(git config --get-regexp "^sprite\.link\..*\.path\$" 2>/dev/null | string replace -r "^sprite\.link\.(.*)\.path .*" "\$1")'
