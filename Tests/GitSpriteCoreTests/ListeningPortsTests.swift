import Foundation
import SpriteSync
import TestSupport
import Testing

@testable import GitSpriteCore

/// The sprite's socket table as `forward --auto`, `attach` and `shell` read it, to forward what
/// already listens when they start.
@Suite("listening ports from /proc/net/tcp", .offThePool)
struct ListeningPortsTests {
    @Test func onlyListeningSocketsCountEachPortOnce() {
        // a listener on 0.0.0.0:8080, one on 127.0.0.1:9123, a connection from 9123 (state 01,
        // not listening), a TIME_WAIT, and tcp6's ::1:5173 and [::]:8080 (8080 again)
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2001 1 0 100 0 0 10 0
               1: 0100007F:23A3 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2002 1 0 100 0 0 10 0
               2: 0100007F:23A3 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 2003 1 0 20 4 30 10 -1
               3: 0100007F:C350 0100007F:1F90 06 00000000:00000000 03:00000A4E 00000000     0        0 0 3 0
              sl  local_address                         remote_address                        st tx_queue rx_queue
               0: 00000000000000000000000001000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000
               1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000
            """
        #expect(ListeningPorts.parse(table) == [5173, 8080, 9123])
    }

    @Test func whatIsNotATableGivesNoPorts() {
        for text in ["", "cat: /proc/net/tcp6: No such file or directory", "0: zz:zz 0 0A", "0: 00000000:0000 x 0A"] {
            #expect(ListeningPorts.parse(text).isEmpty, "\(text)")
        }
    }

    /// Whatever the sprite says listens, this machine listens on at most
    /// `PortForwarder.automaticLimit` ports for it, and says so once.
    @Test func automaticForwardsAreBoundedAndAnOpeningHeardTwiceForwardsOnce() throws {
        let bench = try Workbench()
        let said = Locked<[String]>([])
        let forwarder = PortForwarder(
            connection: bench.fake.connection(), sprite: "box", context: bench.context(in: bench.root),
            announce: { line in said.withLock { $0.append(line) } })
        defer { forwarder.stop() }
        // ports this machine is unlikely to use; a taken one is forwarded from a free port
        let ports = (0..<(PortForwarder.automaticLimit + 10)).map { 47_000 + $0 }
        for port in ports + ports.prefix(5) { forwarder.handle(true, port, nil) }
        let forwarded = said.value.filter { $0.hasPrefix("forwarding localhost:") }
        #expect(forwarded.count == PortForwarder.automaticLimit, "\(said.value.count) lines")
        #expect(said.value.filter { $0.hasPrefix("not forwarding") }.count == 1, "\(said.value.suffix(3))")
        // a port that closes makes room again
        forwarder.handle(false, ports[0], nil)
        forwarder.handle(true, ports.last!, nil)
        #expect(said.value.last?.hasSuffix("-> sprite:\(ports.last!)") == true, "\(said.value.suffix(2))")
    }

    /// A port the system chooses (`forward 0:N`, and `--auto` when the sprite's number is taken
    /// here) is refused when something holds it on [::1], as a port asked for by number is:
    /// `localhost` there would reach that service, not the sprite. The system is asked again
    /// while the refused ones stay bound, and they are let go afterwards.
    @Test func aPortTheSystemChoosesThatIPv6HoldsIsNotTaken() throws {
        let refused = Locked<[Int]>([])
        let (fd, port) = try PortForwarder.listen(0, remote: 80, sprite: "box") { chosen in
            refused.withLock { list in
                guard list.count < 3 else { return false }
                list.append(chosen)
                return true
            }
        }
        defer { close(fd) }
        #expect(refused.value.count == 3)
        #expect(!refused.value.contains(port), "\(port) in \(refused.value)")
        for other in refused.value {
            let (again, _) = try PortForwarder.listen(other, remote: 80, sprite: "box") { _ in false }
            close(again)
        }
        // a port asked for by number is refused outright
        #expect(throws: SpriteError.self) {
            try PortForwarder.listen(port + 1, remote: 80, sprite: "box") { _ in true }
        }
    }
}
