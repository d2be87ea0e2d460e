// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Foundation

    extension Sandbox {
        /// Runs the shell command line `command` in a terminal (script(1)), typing `keys` (a
        /// printf format, such as `\002d` for Ctrl-b d) once its screen shows `shown` (or a file
        /// `waitFile` holds it), then again every `every` seconds until the command ends.
        ///
        /// Keys typed before the program under test has put the terminal in raw mode are
        /// discarded, so they are typed until it ends rather than once after a guessed delay,
        /// and the typing stops as soon as the terminal is gone (a write to the closed pipe
        /// fails, whether SIGPIPE is ignored or not). Waiting for what the screen shows (at most
        /// 60 s) replaces sleeping long enough for it.
        public func inTerminal(
            _ command: String, typing keys: String, once shown: String? = nil, in waitFile: String? = nil,
            every: Double = 1, dir: String, env: [String: String]
        ) throws -> RunResult {
            let screen = path(".screen-" + UUID().uuidString)
            _ = FileManager.default.createFile(atPath: screen, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: screen) }
            let typing = #"""
                ( if [ -n "$KEYS_AFTER" ]; then
                    i=0
                    until grep -qF -- "$KEYS_AFTER" "$KEYS_WAIT_FILE" 2>/dev/null || [ $i -ge 600 ]; do
                      i=$((i+1)); sleep 0.1
                    done
                  fi
                  i=0
                  while [ $i -lt 120 ]; do
                    i=$((i+1)); sleep "$KEYS_EVERY"; printf "$KEYS" 2>/dev/null || exit 0
                  done ) | script -qefc "$KEYS_COMMAND" "$KEYS_SCREEN"
                """#
            let typed = [
                "KEYS": keys, "KEYS_AFTER": shown ?? "", "KEYS_WAIT_FILE": waitFile ?? screen,
                "KEYS_EVERY": String(every), "KEYS_COMMAND": command, "KEYS_SCREEN": screen, "TERM": "xterm",
            ]
            return try run("sh", ["-c", typing], in: dir, env: env.merging(typed) { $1 })
        }
    }
#endif
