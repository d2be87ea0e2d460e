/// The listening sockets of a Linux socket table (`/proc/net/tcp`, `/proc/net/tcp6`): what
/// sprite-host reads of a sprite where it cannot ask the kernel, and what the client reads
/// through `exec` to forward what already listens.
public enum SocketTable {
    public struct Listener: Sendable, Equatable {
        public let port: Int
        /// The local address in network byte order (4 bytes, or 16 for tcp6); nil when the
        /// table's text is not an address.
        public let address: [UInt8]?
    }

    /// Each line after a header: `sl local_address rem_address st …`, the local address as
    /// `HEXADDR:HEXPORT` and the state `0A` for LISTEN. In the order of the table.
    public static func listening(_ table: String) -> [Listener] {
        var found: [Listener] = []
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":") else { continue }
            guard let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16), port > 0, port < 65536
            else { continue }
            found.append(Listener(port: port, address: bytes(fields[1][..<colon])))
        }
        return found
    }

    /// The table's address (32-bit words, each in host byte order) as bytes in network order.
    static func bytes(_ hex: Substring) -> [UInt8]? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var out: [UInt8] = []
        var start = hex.startIndex
        while start < hex.endIndex {
            let end = hex.index(start, offsetBy: 8)
            guard let word = UInt32(hex[start..<end], radix: 16) else { return nil }
            withUnsafeBytes(of: word) { out += $0 }
            start = end
        }
        return out
    }
}
