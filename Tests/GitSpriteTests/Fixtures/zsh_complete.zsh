# Drives an interactive zsh through a pseudo-terminal and prints what it lists for a Tab.
# Usage: zsh -f zsh_complete.zsh COMPLETIONS_DIR REPOSITORY 'LINE'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='%% '; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D; unsetopt beep; LISTMAX=1000; cd ${(q)2}"
sleep 0.5
while zpty -r -t z line; do :; done
zpty -wn z "$3"$'\t'
sleep 2
out=""
while zpty -r -t z line; do out+=$line; done
print -r -- "$out"
zpty -d z
