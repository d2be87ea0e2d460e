import Foundation
import NIOCore
import SpriteWire

/// Writes `{"path":…,"entries":[…],"count":N}` a batch at a time from the records of
/// `sprite-enter fs list` (TYPE SIZE MODE MTIME NAME, each ended by a NUL).
///
/// A directory may hold hundreds of thousands of names, so each entry is written straight into
/// the batch (`FileEntry`'s keys, strings escaped as JSON requires, a name that is not UTF-8
/// read as `String(decoding:)` reads it) instead of through a `JSONEncoder` per entry.
final class ListingWriter: @unchecked Sendable {
    private let path: String
    private let isDirectory: Bool
    private var count = 0

    init(path: String, isDirectory: Bool) {
        (self.path, self.isDirectory) = (path, isDirectory)
    }

    func opening() -> ByteBuffer {
        var out = #"{"path":"#
        Self.writeString(path, to: &out)
        out += #","entries":["#
        return ByteBuffer(string: out)
    }

    func closing() -> ByteBuffer { ByteBuffer(string: #"],"count":\#(count)}"#) }

    /// Encodes every whole record in `records` and removes them from it.
    func entries(from records: inout Data) -> ByteBuffer {
        // made as a String (the standard library's appends), written to the buffer once
        var out = ""
        let consumed = records.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var start = 0
            while start < raw.count, let nul = memchr(base + start, 0, raw.count - start) {
                let end = base.distance(to: UnsafeRawPointer(nul))
                if let entry = entry(UnsafeRawBufferPointer(rebasing: raw[start..<end])) {
                    if count > 0 { out += "," }
                    write(entry, to: &out)
                    count += 1
                }
                start = end + 1
            }
            return start
        }
        records.removeFirst(consumed)
        return ByteBuffer(string: out)
    }

    private func entry(_ record: UnsafeRawBufferPointer) -> FileEntry? {
        guard let base = record.baseAddress else { return nil }
        var fields: [String] = []
        var start = 0
        while fields.count < 4, let space = memchr(base + start, 0x20, record.count - start) {
            let end = base.distance(to: UnsafeRawPointer(space))
            fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: record[start..<end]), as: UTF8.self))
            start = end + 1
        }
        guard fields.count == 4 else { return nil }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: record[start...]), as: UTF8.self)
        let type = ["d": "directory", "f": "file", "l": "symlink"][fields[0]] ?? "other"
        let full = isDirectory ? (path == "/" ? "" : path) + "/" + name : path
        return FileEntry(
            name: name, path: full, type: type, size: Int(fields[1]) ?? 0, mode: fields[2],
            modTime: Timestamp.format(seconds: Int(fields[3]) ?? 0))
    }

    private func write(_ entry: FileEntry, to out: inout String) {
        out += #"{"name":"#
        Self.writeString(entry.name, to: &out)
        out += #","path":"#
        Self.writeString(entry.path, to: &out)
        out += #","type":"#
        Self.writeString(entry.type, to: &out)
        out += #","size":\#(entry.size),"mode":"#
        Self.writeString(entry.mode, to: &out)
        if let modTime = entry.modTime {
            out += #","modTime":"#
            Self.writeString(modTime, to: &out)
        }
        out += entry.isDir ? #","isDir":true}"# : #","isDir":false}"#
    }

    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, … or
    /// `\u00XX`; everything else (slashes included) as it is. `strcspn` finds the first byte to
    /// escape (a name holds no NUL); most names have none.
    static func writeString(_ text: String, to out: inout String) {
        let plain = text.withCString { strcspn($0, escaped) }
        guard plain < text.utf8.count else {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += #"\""#
            case "\\": out += #"\\"#
            case "\n": out += #"\n"#
            case "\r": out += #"\r"#
            case "\t": out += #"\t"#
            case _ where scalar.value < 0x20: out += String(format: #"\u%04x"#, scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// What JSON escapes in a string: the control characters, `"` and `\` (NUL-terminated).
    private static let escaped: [CChar] =
        (1..<0x20).map { CChar($0) } + [CChar(UInt8(ascii: "\"")), CChar(UInt8(ascii: "\\")), 0]
}
