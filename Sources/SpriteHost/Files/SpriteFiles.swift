import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// The filesystem API's operations, each performed inside the sprite by `sprite-enter fs` as
/// the sprite's user: the host opens no file of the sprite's itself, so no symlink the sprite
/// plants (or swaps in a loop) can make it read or write a host file. The protocol is in
/// Sources/sprite-enter/fs.c.
struct SpriteFiles {
    let runtime: SpriteRuntime

    /// An absolute, lexically clean sprite path: `path` against `workingDir` (default
    /// `/home/sprite`), `.` and `..` resolved, at most 4096 bytes.
    static func clean(_ path: String, base: String?) throws -> String {
        guard !path.isEmpty else { throw HostError.badRequest("path is required") }
        guard path.utf8.count <= 4096, !path.contains("\0") else { throw HostError.badRequest("path is too long") }
        let root = base.flatMap { $0.isEmpty ? nil : $0 } ?? "/home/sprite"
        let joined = path.hasPrefix("/") ? path : root + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Starts `sprite-enter fs <args>` in the sprite.
    func start(_ args: [String]) async throws -> FileOperation {
        let runtime = self.runtime
        return try await Blocking.run {
            runtime.wake()
            let box = try runtime.sandbox()
            return try FileOperation(box.helper(["fs"] + args))
        }
    }

    /// Runs an operation without input and returns its status line's detail and its output.
    func run(_ args: [String], path: String) async throws -> (detail: String, payload: Data) {
        let op = try await start(args)
        let detail = try await op.status(path: path)
        var payload = op.leftover
        while let chunk = await op.output.next() {
            payload.append(chunk)
            guard payload.count <= 64 << 20 else {
                op.cancel()
                throw HostError.fs(.internalServerError, "EIO", "the answer is too large", path: path)
            }
        }
        return (detail, payload)
    }
}

/// One running `sprite-enter fs` operation: its first line is `ok …` or `err CODE message`,
/// then whatever the operation streams (file contents, list records).
final class FileOperation: @unchecked Sendable {
    let process: SpawnedProcess
    /// Standard output after the status line, with back-pressure.
    let output = BoundedChannel<Data>(limit: 1 << 20) { $0.count }
    private(set) var leftover = Data()
    private let sink = BoundedText(keeping: .first)

    init(_ request: SpawnRequest) throws {
        let (output, sink) = (self.output, self.sink)
        process = try SpawnedProcess(
            request,
            onOutput: { stream, data in
                if stream == .stdout { output.send(data) } else { sink.append(data) }
            }, onExit: { _ in output.finish() })
    }

    /// The name a write goes to until it is whole, once the helper has said it
    /// (`writing FULL XXXXXX`), as the sprite sees it.
    private let writingName = Locked<String?>(nil)

    /// Reads the status line; throws the API error it names.
    func status(path: String) async throws -> String {
        var line = Data()
        var text = ""
        repeat {
            while !line.contains(0x0a) {
                guard let chunk = await output.next() else {
                    let detail = sink.text
                    throw HostError.fs(
                        .internalServerError, "EIO",
                        detail.isEmpty ? "the operation failed in the sprite" : detail, path: path)
                }
                line.append(chunk)
            }
            guard let newline = line.firstIndex(of: 0x0a) else { throw HostError.internalError("unreachable") }
            text = String(decoding: line[line.startIndex..<newline], as: UTF8.self)
            line = Data(line[line.index(after: newline)...])
            if text.hasPrefix("writing ") { writingName.set(Self.writingName(text, path: path)) }
        } while text.hasPrefix("writing ")
        leftover = line
        if text == "ok" { return "" }
        if text.hasPrefix("ok ") { return String(text.dropFirst(3)) }
        let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
        let code = parts.count > 1 ? parts[1] : "EIO"
        let message = parts.count > 2 ? parts[2] : "failed"
        throw HostError.fs(Self.status(of: code), code, message.lowercased(), path: path)
    }

    /// Writes the request body to the operation's stdin, then closes it. Framed for
    /// `sprite-enter fs write`: each piece after its 4-byte big-endian length, and a length of
    /// 0 at the end, so that an input that merely stops (the host crashed, its pipe closed) is
    /// never taken for the whole file. A body cut short (the client gone, the connection
    /// broken) or a request cancelled is not the file either: the operation is stopped before
    /// its end frame, and not left waiting for more with the file open.
    func feed(_ body: RequestBody) async throws {
        do {
            for try await chunk in body where chunk.readableBytes > 0 {
                var framed = Data(capacity: 4 + chunk.readableBytes)
                let n = UInt32(chunk.readableBytes)
                framed.append(contentsOf: [
                    UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff),
                ])
                framed.append(contentsOf: chunk.readableBytesView)
                guard await process.write(framed) else { break }
            }
            try Task.checkCancellation()
        } catch {
            cancel()
            throw error
        }
        _ = await process.write(Data([0, 0, 0, 0]))
        process.closeStdin()
    }

    /// `fs write`'s name for PATH's content while it is written, from its `writing` line.
    static func writingName(_ line: String, path: String) -> String? {
        let parts = line.split(separator: " ").map(String.init)
        guard parts.count == 3, ["0", "1"].contains(parts[1]), parts[2].utf8.count == 6,
            parts[2].unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) })
        else { return nil }
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let base = parts[1] == "1" ? String(path[slash...]) : ""
        return String(path[..<slash]) + "." + base + ".sprite-write-" + parts[2]
    }

    /// After a write cut short: once the helper has ended, the file it was writing is removed
    /// if it is still there (a helper killed outright, past its SIGTERM, leaves it).
    func sweep(_ files: SpriteFiles) {
        guard let name = writingName.value else { return }
        let process = self.process
        Task.detached {
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(nanoseconds: 25_000_000) }
            _ = try? await files.run(["delete", name, "0"], path: name)
        }
    }

    /// Stops the operation (the client went away): SIGTERM, on which a write cut short
    /// removes the partial file it was writing beside the target, then SIGKILL for one that
    /// has not ended two seconds later.
    func cancel() {
        output.cancel()
        process.signal(SIGTERM)
        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            if process.isRunning { process.signal(SIGKILL) }
        }
    }

    static func status(of code: String) -> HTTPResponse.Status {
        switch code {
        case "ENOENT": return .notFound
        case "EACCES": return .forbidden
        case "EIO": return .internalServerError
        default: return .badRequest
        }
    }
}
