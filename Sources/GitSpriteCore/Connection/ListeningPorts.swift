import SpriteWire

/// The TCP ports a Linux socket table (`/proc/net/tcp`, `/proc/net/tcp6`) shows listening.
enum ListeningPorts {
    /// The listening sockets' ports (`SocketTable`), sorted, each port once.
    static func parse(_ table: String) -> [Int] {
        Set(SocketTable.listening(table).map(\.port)).sorted()
    }
}
