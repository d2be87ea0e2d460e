import Foundation
import NIOCore
import SpriteWire
import Testing

@testable import SpriteHost

/// A directory listing as the host streams it: `sprite-enter`'s NUL-ended records, arriving in
/// chunks cut anywhere, become one JSON document that decodes to exactly the entries, whatever
/// bytes the names hold.
@Suite("sprite-host directory listings")
struct ListingWriterTests {
    static let names: [[UInt8]] = [
        Array("plain".utf8), Array(#"quote"d"#.utf8), Array(#"back\slash"#.utf8), Array("new\nline".utf8),
        Array("tab\tand\rreturn".utf8), [0x63, 0x01, 0x1f, 0x7f], Array("ünï😀".utf8),
        [0x66, 0xff, 0x67],  // not UTF-8
        Array(String(repeating: "x", count: 255).utf8),
    ]

    static func records(_ names: [[UInt8]]) -> Data {
        var data = Data()
        for (i, name) in names.enumerated() {
            data.append(contentsOf: Array("\(["d", "f", "l", "p"][i % 4]) \(i * 1000) 0644 \(1_700_000_000 + i) ".utf8))
            data.append(contentsOf: name)
            data.append(0)
        }
        return data
    }

    static func listing(_ path: String, directory: Bool, chunks: [Data]) throws -> FileList {
        let writer = ListingWriter(path: path, isDirectory: directory)
        var out = writer.opening()
        var pending = Data()
        for chunk in chunks {
            pending.append(chunk)
            var batch = writer.entries(from: &pending)
            out.writeBuffer(&batch)
        }
        #expect(pending.isEmpty)
        var closing = writer.closing()
        out.writeBuffer(&closing)
        return try JSONDecoder().decode(FileList.self, from: Data(out.readableBytesView))
    }

    @Test func everyNameDecodesAsItsBytesReadAsUTF8WhereverTheChunksAreCut() throws {
        let data = Self.records(Self.names)
        let expected = Self.names.enumerated().map { i, bytes in
            let name = String(decoding: bytes, as: UTF8.self)
            return FileEntry(
                name: name, path: "/home/sprite/d \"q\"/" + name,
                type: ["directory", "file", "symlink", "other"][i % 4], size: i * 1000, mode: "0644",
                modTime: Timestamp.format(seconds: 1_700_000_000 + i))
        }
        for cut in [1, 2, 7, 50, data.count] {
            let chunks = stride(from: 0, to: data.count, by: cut).map { data[$0..<min($0 + cut, data.count)] }
            let list = try Self.listing("/home/sprite/d \"q\"", directory: true, chunks: chunks.map { Data($0) })
            #expect(list.path == "/home/sprite/d \"q\"")
            #expect(list.count == expected.count)
            #expect(list.entries == expected, "cut every \(cut) bytes")
        }
    }

    @Test func oneFilesListingIsThatFileAndABadRecordIsLeftOut() throws {
        var data = Self.records([Array("f.txt".utf8)])
        data.append(contentsOf: Array("too few fields".utf8) + [0])
        let list = try Self.listing("/", directory: false, chunks: [data])
        #expect(list.count == 1 && list.entries.map(\.path) == ["/"])
        let root = try Self.listing("/", directory: true, chunks: [Self.records([Array("etc".utf8)])])
        #expect(root.entries.map(\.path) == ["/etc"] && root.entries.first?.isDir == true)
    }
}
