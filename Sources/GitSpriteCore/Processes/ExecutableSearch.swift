import Foundation

/// Finds a program on a PATH as `execvp(3)` would, so a child starts without `env(1)` in
/// between: every process start is a dynamic link and the C library's CPU probes, and a
/// command starts git many times.
public enum ExecutableSearch {
    /// The absolute path of the executable file `program` in the first directory of `path`
    /// (colon-separated; `/usr/bin:/bin` when nil) that has one, or nil. A name with a slash
    /// is nobody's to look up; an empty or relative entry is skipped, so a file in the
    /// current directory never runs for a bare name.
    public static func find(_ program: String, path: String?) -> String? {
        guard !program.isEmpty, !program.contains("/") else { return nil }
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}

extension ExecutableSearch {
    /// What to start for `program` with `arguments`: the program found on `path` (the child's
    /// PATH), started directly, else `env`, which resolves a name with a slash in the child's
    /// directory and fails as a shell would.
    static func command(
        _ program: String, _ arguments: [String], path: String?
    ) -> (
        executable: String, arguments: [String]
    ) {
        if let found = find(program, path: path) { return (found, arguments) }
        return ("/usr/bin/env", ["--", program] + arguments)
    }
}

extension Process {
    /// Runs `program` with `arguments` as `ExecutableSearch.command` resolves them.
    public func setProgram(_ program: String, _ arguments: [String], path: String?) {
        let command = ExecutableSearch.command(program, arguments, path: path)
        executableURL = URL(fileURLWithPath: command.executable)
        self.arguments = command.arguments
    }
}
