/// The TCP ports a Linux socket table (`/proc/net/tcp`, `/proc/net/tcp6`) shows listening.
enum ListeningPorts {
    /// Each line after a header: `sl local_address rem_address st …`, the local address as
    /// `HEXADDR:HEXPORT` and the state `0A` for LISTEN. Sorted, each port once.
    static func parse(_ table: String) -> [Int] {
        var ports = Set<Int>()
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":") else { continue }
            guard let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16), port > 0, port < 65536
            else { continue }
            ports.insert(port)
        }
        return ports.sorted()
    }
}
