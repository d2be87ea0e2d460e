#ifndef GIT_SPRITE_CGIT2_SHIM_H
#define GIT_SPRITE_CGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/repository.h>

/* git_libgit2_opts is variadic and cannot be called from Swift; these typed
 * wrappers cover the options git-sprite uses. */

static inline int git_sprite_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

static inline int git_sprite_set_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

static inline int git_sprite_enable_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}

#endif
