#ifndef GIT_SPRITE_GIT2_STARTUP_H
#define GIT_SPRITE_GIT2_STARTUP_H

/// How many times libgit2 asked to load a CA bundle or directory in this process and was
/// declined (see linking.c). Zero after `git_libgit2_init` means the declining functions were
/// not the ones libgit2 called, and start-up paid for the parse again.
int git_sprite_ca_loads_declined(void);

/// How many times mbedTLS polled its HAVEGE entropy source in this process and got the kernel's
/// bytes instead (see linking.c). Zero after `git_libgit2_init` means HAVEGE ran.
int git_sprite_kernel_entropy_polls(void);

#endif
