#ifndef GIT_SPRITE_GIT2_STARTUP_H
#define GIT_SPRITE_GIT2_STARTUP_H

/// How many times libgit2 asked to load a CA bundle or directory in this process and was
/// declined (see ca_bundle.c). Zero after `git_libgit2_init` means the declining functions were
/// not the ones libgit2 called, and start-up paid for the parse again.
int git_sprite_ca_loads_declined(void);

#endif
