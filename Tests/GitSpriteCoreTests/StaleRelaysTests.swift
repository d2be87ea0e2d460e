import Foundation
import SpriteHTTP
import Testing

@testable import GitSpriteCore

#if canImport(Glibc)
    import Glibc
#endif

/// Relay directories left by a git-sprite that was killed (SIGKILL: no handler runs) are
/// removed by the next relay's start; a relay still serving, a recent directory and anything
/// that is not a relay's are not.
@Suite("client: relays left behind")
struct StaleRelaysTests {
    /// A relay directory with its socket bound; the socket is kept open (listening) or closed
    /// (what a killed process leaves). Its time is set `age` seconds back.
    static func relay(in temporary: String, _ name: String, listening: Bool, age: TimeInterval) throws -> Int32? {
        let directory = temporary + "/" + HelperRelay.directoryPrefix + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let address = try #require(UnixSocketAddress(directory + "/relay"))
        #expect(address.bind(fd) == 0)
        if listening { #expect(listen(fd, 1) == 0) } else { close(fd) }
        let then = Date().addingTimeInterval(-age).timeIntervalSince1970
        var times = [timeval(tv_sec: Int(then), tv_usec: 0), timeval(tv_sec: Int(then), tv_usec: 0)]
        #expect(utimes(directory, &times) == 0)
        return listening ? fd : nil
    }

    @Test func onlyAKilledProcesssOldRelayGoes() throws {
        let temporary = FileManager.default.temporaryDirectory.path + "/stale-relays-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        _ = try Self.relay(in: temporary, "killed", listening: false, age: 3600)
        _ = try Self.relay(in: temporary, "recent", listening: false, age: 10)
        let live = try Self.relay(in: temporary, "serving", listening: true, age: 3600)
        defer { if let live { close(live) } }
        // not a relay's: something else in it
        let other = temporary + "/" + HelperRelay.directoryPrefix + "other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: other + "/notes"))
        var old = [timeval(tv_sec: Int(Date().timeIntervalSince1970) - 3600, tv_usec: 0)]
        old.append(old[0])
        #expect(utimes(other, &old) == 0)

        HelperRelay.removeStale(in: temporary)
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary).sorted()
        #expect(
            left == ["other", "recent", "serving"].map { HelperRelay.directoryPrefix + $0 }, "\(left)")
        #expect(FileManager.default.fileExists(atPath: other + "/notes"))
    }

    @Test func theKernelsTableOfUnixSocketsIsReadForTheirPaths() {
        let table = """
            Num       RefCount Protocol Flags    Type St Inode Path
            0000000000000000: 00000002 00000000 00010000 0001 01 5139 /tmp/git-sprite-relay.AbC123/relay
            0000000000000000: 00000003 00000000 00000000 0001 03 63382
            0000000000000000: 00000002 00000000 00010000 0001 01 5140 /tmp/with space/git-sprite-relay.x/relay
            """
        #expect(
            HelperRelay.boundSocketPaths(table) == [
                "/tmp/git-sprite-relay.AbC123/relay", "/tmp/with space/git-sprite-relay.x/relay",
            ])
    }

    /// Every bound socket is seen, not only those on the first page of the kernel's table (a
    /// relay on a busy machine was taken for one left behind).
    @Test func theWholeTableIsRead() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/bound-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        var fds: [Int32] = []
        defer {
            for fd in fds { close(fd) }
            try? FileManager.default.removeItem(atPath: directory)
        }
        for i in 0..<300 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            fds.append(fd)
            let address = try #require(UnixSocketAddress(directory + "/s\(i)"))
            #expect(address.bind(fd) == 0)
        }
        let bound = HelperRelay.boundSocketPaths()
        let ours = (0..<300).filter { bound.contains(directory + "/s\($0)") }.count
        #expect(ours == 300)
    }
}
