import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Shows text the way git does: through the user's pager when stdout is a terminal
/// (`git var GIT_PAGER`, which honours `GIT_PAGER`, `core.pager` and `PAGER`), with git's
/// defaults for `less` (`LESS=FRX`, `LV=-c`); straight to stdout otherwise. The pager is the
/// user's own configured command and is run as git runs it, by `sh -c`.
enum Pager {
    /// Spawns the pager in our own process group (Foundation's `Process` gives a child a group
    /// of its own, and a pager outside the terminal's foreground group is stopped when it reads
    /// the keyboard), feeds it, and waits for it to quit.
    private static func run(_ pager: String, environment: [String: String], input: Data) -> Bool {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(pager), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        // the spawn and the pager's record are one step no signal cuts: a handler in between
        // would not know to wait for it, and less would stay on the terminal after us
        var saved = sigset_t()
        git_sprite_unbroken_begin(&saved)
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        if spawned == 0 { git_sprite_pager_started(pid) }
        git_sprite_unbroken_end(&saved)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            return false
        }
        // (Ctrl-C, a signal: the handler waits for the pager to quit, as git does)
        // a pager quit early closes its end: the rest is not wanted
        let previous = signal(SIGPIPE, SIG_IGN)
        input.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fds[1], raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    break
                }
                offset += n
            }
        }
        close(fds[1])
        signal(SIGPIPE, previous)
        // its end learnt without reaping it, so that a handler never waits for a reused pid
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        git_sprite_pager_ended()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return true
    }

    static func show(_ text: String, context: Context, repository directory: String) {
        guard context.terminal.stdoutIsTTY, !text.isEmpty,
            let pager = try? LocalGit(directory: directory, environment: context.environment)
                .check(["var", "GIT_PAGER"], what: "finding the pager"),
            !pager.isEmpty, pager != "cat"
        else {
            context.terminal.out(text)
            return
        }
        context.terminal.flush()
        var env = context.environment
        if env["LESS"] == nil { env["LESS"] = "FRX" }
        if env["LV"] == nil { env["LV"] = "-c" }
        guard run(pager, environment: env, input: Data(text.utf8)) else {
            context.terminal.out(text)
            return
        }
    }
}
