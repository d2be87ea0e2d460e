# bash completion for git sprite. git's completion calls _git_sprite for `git sprite …`;
# installed as completions/git-sprite, bash-completion loads it on demand.

_git_sprite ()
{
	local subcommands="plan up attach status ls exec down link unlink config help"
	local subcommand="$(__git_find_on_cmdline "$subcommands")"
	if [ -z "$subcommand" ]; then
		case "$cur" in
		--*) __gitcomp "--version --help" ;;
		*) __gitcomp "$subcommands" ;;
		esac
		return
	fi
	local common="--verbose --quiet --help"
	case "$subcommand,$cur" in
	plan,--*) __gitcomp "$common --json --name=" ;;
	up,--*) __gitcomp "$common --message= --name= --no-agent --local --no-changes --json" ;;
	attach,--*) __gitcomp "$common --print" ;;
	attach,*) __gitcomp_nl "$(__git_heads)" ;;
	down,--*) __gitcomp "$common --destroy --force" ;;
	down,*) __gitcomp_nl "$(__git_heads)" ;;
	status,--*|ls,--*) __gitcomp "$common --all --json" ;;
	exec,--*) __gitcomp "$common --dir=" ;;
	exec,*) __git_complete_refs --mode=heads 2>/dev/null || __gitcomp_nl "$(__git_heads)" ;;
	link,--*) __gitcomp "$common --json --as=" ;;
	link,*) _filedir -d 2>/dev/null || __gitcomp_nl "$(compgen -d -- "$cur")" ;;
	unlink,--*) __gitcomp "$common" ;;
	unlink,*) __gitcomp_nl "$(git config --get-regexp '^sprite\.link\..*\.path$' 2>/dev/null \
		| sed -e 's/^sprite\.link\.//' -e 's/\.path .*$//')" ;;
	config,--*) __gitcomp "$common --json" ;;
	help,*) __gitcomp "plan up attach status exec down link unlink config" ;;
	esac
}
