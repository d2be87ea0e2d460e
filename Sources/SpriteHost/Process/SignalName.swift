import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Signal names as clients send them (`TERM`, `SIGTERM`, `15`).
enum SignalName {
    static func number(_ name: String) -> Int32? {
        let upper = name.uppercased()
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        let table: [String: Int32] = [
            "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL,
            "TERM": SIGTERM, "USR1": SIGUSR1, "USR2": SIGUSR2, "STOP": SIGSTOP,
            "CONT": SIGCONT, "WINCH": SIGWINCH,
        ]
        if let n = table[bare] { return n }
        if let n = Int32(bare), n > 0, n < 65 { return n }
        return nil
    }
}
