/// One line of an NDJSON stream: service starts, stops and logs, checkpoints, kills.
/// Every stream's events share this shape; each type fills the fields it uses.
public struct StreamEvent: Codable, Sendable, Equatable {
    public var type: String
    public var data: String?
    public var message: String?
    /// An error event's reason (`{"type":"error","error":"Checkpoint failed: disk full"}`).
    public var error: String?
    public var exitCode: Int?
    public var pid: Int?
    public var signal: String?
    /// Unix milliseconds (services) …
    public var timestamp: Int?
    /// … or RFC 3339 (checkpoints).
    public var time: String?
    public var logFiles: [String: String]?

    public init(
        type: String, data: String? = nil, message: String? = nil, exitCode: Int? = nil, pid: Int? = nil,
        signal: String? = nil, timestamp: Int? = nil, time: String? = nil, logFiles: [String: String]? = nil
    ) {
        (self.type, self.data, self.message, self.exitCode, self.pid) = (type, data, message, exitCode, pid)
        (self.signal, self.timestamp, self.time, self.logFiles) = (signal, timestamp, time, logFiles)
    }

    enum CodingKeys: String, CodingKey {
        case type, data, message, error, pid, signal, timestamp, time
        case exitCode = "exit_code"
        case logFiles = "log_files"
    }
}
