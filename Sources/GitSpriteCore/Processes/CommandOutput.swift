import Foundation

/// The last line a command wrote to stderr: what a failure message quotes.
func lastLine(of stderr: Data) -> String? {
    String(decoding: stderr, as: UTF8.self).split(separator: "\n").last.map(String.init)
}
