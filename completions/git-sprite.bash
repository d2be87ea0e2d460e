# bash completion for git sprite. git's completion calls _git_sprite for `git sprite …`;
# installed as completions/git-sprite, bash-completion loads it on demand.

# Branches that have a sprite, from the mapping `up` records (offline: no API call).
__git_sprite_branches ()
{
	git config --get-regexp '^branch\..*\.sprite$' 2>/dev/null | sed -e 's/^branch\.//' -e 's/\.sprite .*$//' \
		| __git_sprite_quoted
}

# Each name on its own line as the shell reads it back (printf %q): a branch may be called
# 'a$(cmd)', and a completion inserted as it is would run cmd once the line is entered.
__git_sprite_quoted ()
{
	local name
	while IFS= read -r name; do
		printf '%q\n' "$name"
	done
}

_git_sprite ()
{
	local subcommands="plan up attach shell status ls logs wait fetch diff log apply checkpoint restore host cost prune exec forward url cp down link unlink config help"
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
	up,--*) __gitcomp "$common --message= --name= --no-agent --local --no-changes --ttl= --json" ;;
	attach,--*) __gitcomp "$common --print --detach-key=" ;;
	down,--*) __gitcomp "$common --destroy --force --keep --checkpoint --json" ;;
	status,--*|ls,--*) __gitcomp "$common --all --deep --json --format=" ;;
	logs,--*) __gitcomp "$common --follow --lines= --raw --json" ;;
	wait,--*) __gitcomp "$common --timeout= --json" ;;
	fetch,--*) __gitcomp "$common --all --json" ;;
	diff,--*) __gitcomp "$common --stat" ;;
	log,--*) __gitcomp "$common --oneline --stat --patch" ;;
	apply,--*) __gitcomp "$common --json" ;;
	checkpoint,--*) __gitcomp "$common --message= --list --json" ;;
	restore,--*) __gitcomp "$common --force --json" ;;
	host,--*) __gitcomp "$common --json" ;;
	cost,--*) __gitcomp "$common --hours= --cpu= --memory= --storage= --idle-week --json" ;;
	prune,--*) __gitcomp "$common --merged --gone --expired --older-than= --idle= --dry-run --yes --force --json" ;;
	prune,*) __gitcomp_nl "$(__git_heads | __git_sprite_quoted)" ;;
	host,*) __gitcomp "start status stop" ;;
	attach,*|shell,*|forward,*|url,*|down,*|logs,*|wait,*|fetch,*|diff,*|log,*|apply,*|checkpoint,*|restore,*)
		__gitcomp_nl "$(__git_sprite_branches)" ;;
	exec,--*) __gitcomp "$common --dir= --tty --interactive" ;;
	shell,--*) __gitcomp "$common" ;;
	forward,--*) __gitcomp "$common --auto" ;;
	url,--*) __gitcomp "$common --public --private --open --json" ;;
	cp,--*) __gitcomp "$common --recursive --json" ;;
	cp,*) _filedir 2>/dev/null || __gitcomp_nl "$(compgen -f -- "$cur")" ;;
	exec,*) __gitcomp_nl "$(__git_sprite_branches)" ;;
	link,--*) __gitcomp "$common --json --as=" ;;
	link,*) _filedir -d 2>/dev/null || __gitcomp_nl "$(compgen -d -- "$cur")" ;;
	unlink,--*) __gitcomp "$common --json" ;;
	unlink,*) __gitcomp_nl "$(git config --get-regexp '^sprite\.link\..*\.path$' 2>/dev/null \
		| sed -e 's/^sprite\.link\.//' -e 's/\.path .*$//' | __git_sprite_quoted)" ;;
	config,--*) __gitcomp "$common --json" ;;
	help,*) __gitcomp "plan up attach shell status logs wait fetch diff log apply checkpoint restore host cost prune exec forward url cp down link unlink config" ;;
	esac
}
