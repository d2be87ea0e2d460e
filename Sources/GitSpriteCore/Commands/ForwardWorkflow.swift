import Foundation
import SpritesAPI

/// `git sprite forward`: local ports carried to the sprite's ports until Ctrl-C
/// (`PortForwarder`), and with `auto` every port the sprite opens, followed through a quiet
/// exec stream's `port_opened`/`port_closed`.
public enum ForwardWorkflow {
    /// One forward: `local` 0 means a free port.
    public struct Ports: Equatable, Sendable {
        public let local: Int
        public let remote: Int
    }

    /// The sprite (when the first word is not a port) and the ports of `words`.
    public static func parse(_ words: [String]) throws -> (String?, [Ports]) {
        var sprite: String?
        var ports: [Ports] = []
        for (i, word) in words.enumerated() {
            if let p = try port(word) {
                ports.append(p)
            } else if i == 0 {
                sprite = word
            } else {
                throw SpriteError(
                    "'\(word)' is not a port: give [LOCAL:]REMOTE, each 1-65535 (LOCAL may be 0)",
                    hints: ["for example: git sprite forward 3000 8000:8080"], status: .usage)
            }
        }
        return (sprite, ports)
    }

    /// `REMOTE` or `LOCAL:REMOTE` (nil when `word` does not look like ports at all).
    static func port(_ word: String) throws -> Ports? {
        let parts = word.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            parts.count == 1 || parts.count == 2
        else {
            if word.contains(":") || word.allSatisfy(\.isNumber) {
                throw SpriteError(
                    "'\(word)' is not a port: give [LOCAL:]REMOTE, each 1-65535 (LOCAL may be 0)",
                    hints: ["for example: git sprite forward 3000 8000:8080"], status: .usage)
            }
            return nil
        }
        // (leading zeros dropped first: cut to its first digits, 00008080 read as 80)
        let numbers = parts.map { part -> Int in
            let digits = part.drop { $0 == "0" }
            return digits.isEmpty ? 0 : digits.count > 5 ? -1 : Int(digits) ?? -1
        }
        let remote = numbers.last ?? -1, local = parts.count == 2 ? numbers[0] : remote
        guard (1...65535).contains(remote), (0...65535).contains(local) else {
            throw SpriteError(
                "port \(word) is outside 1-65535", hints: ["for example: git sprite forward 3000 8000:8080"],
                status: .usage)
        }
        return Ports(local: local, remote: remote)
    }

    public static func run(_ context: Context, sprite argument: String?, ports: [Ports], auto: Bool) throws {
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        // the sprite must be there (a forward to a sprite that is gone would only fail later)
        _ = try target.connection.perform { try target.existing($0, context: context) }
        let terminal = context.terminal
        let forwarder = PortForwarder(connection: connection, sprite: name, context: context) { line in
            // the forwards are what this command makes: stdout; the rest of what it says: stderr
            if line.hasPrefix("forwarding ") {
                terminal.out(line + "\n")
                terminal.flush()
            } else {
                terminal.note(line)
            }
        }
        defer { forwarder.stop() }
        for p in ports {
            let local = try forwarder.forward(local: p.local, remote: p.remote)
            terminal.out("forwarding localhost:\(local) -> sprite:\(p.remote)\n")
        }
        context.terminal.flush()
        // Ctrl-C is how this ends: exit 0
        interruptEndsTheCommand(true)
        defer { interruptEndsTheCommand(false) }
        guard auto else {
            while true { Thread.sleep(forTimeInterval: 3600) }
        }
        // a quiet command whose stream brings the sprite's port events; it ends with us
        let request = ExecRequest(
            command: ["sh", "-c", "exec sleep 2147483647"], directory: SpritePaths.home, stdin: true,
            maxRunAfterDisconnect: "1s")
        while true {
            do {
                let stream = try connection.liveClient().openExec(name, request)
                // what listens already (opened before the stream, or while it was lost)
                forwarder.forwardWhatListensMeanwhile()
                _ = try stream.relay(stdout: { _ in }, stderr: { _ in }, onPort: forwarder.handle)
            } catch {
                context.terminal.warn(
                    "lost the sprite's port events (\((connection.translate(error) as? SpriteError)?.message ?? "\(error)")); "
                        + "trying again")
                Thread.sleep(forTimeInterval: 2)
            }
        }
    }
}
