import CTerminal
import Foundation
import SpritesAPI

/// A TTY exec stream in this terminal (`attach`, `shell`, `exec -t`): raw mode, keystrokes
/// sent as they come, window-size changes forwarded, output written as it arrives, and the
/// terminal put back on every way out (return, error, SIGTERM/SIGHUP/SIGQUIT).
enum TerminalSession {
    /// Relays until the remote command exits; returns its status. `rows`/`cols`: the size the
    /// stream was opened with. `onPort` hears the sprite's `port_opened`/`port_closed`.
    /// `detachKey`: a byte that becomes tmux's own Ctrl-b d on the way (`attach` inside the
    /// user's tmux, whose Ctrl-b never reaches the sprite).
    static func run(
        _ stream: ExecStream, rows: UInt16, cols: UInt16, input forwardInput: Bool = true,
        detachKey: UInt8? = nil, onPort: ((Bool, Int, String?) -> Void)? = nil
    ) throws -> Int32 {
        let interactive = forwardInput && isatty(STDIN_FILENO) == 1
        if interactive {
            guard git_sprite_raw_terminal(STDIN_FILENO) == 0 else {
                stream.close()
                throw SpriteError("cannot put the terminal in raw mode")
            }
        }
        // every way out puts the terminal back: normal return, errors, and the signals that end
        // us (`Termination`)
        defer { if interactive { git_sprite_restore_terminal() } }
        if interactive { Termination.install() }
        // the input thread waits on stdin and on `wake`: a byte there is a resize (SIGWINCH),
        // or the end of the session
        var wake: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else { throw SpriteError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        let (wakeRead, wakeWrite) = (wake[0], wake[1])
        for fd in [wakeRead, wakeWrite] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        git_sprite_watch_window(wakeWrite)
        let ended = DispatchSemaphore(value: 0)
        let (startRows, startCols) = (rows, cols)
        let input = Thread {
            defer { ended.signal() }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var lastRows = startRows, lastCols = startCols
            while true {
                var fds = [
                    pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                ]
                guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return }
                if fds[1].revents != 0 {
                    var bytes = [UInt8](repeating: 0, count: 64)
                    let n = read(wakeRead, &bytes, bytes.count)
                    if n <= 0 || bytes[0..<n].contains(UInt8(ascii: "q")) { return }
                    var r: UInt16 = 0, c: UInt16 = 0
                    if git_sprite_window_size(STDOUT_FILENO, &r, &c) == 0, (r, c) != (lastRows, lastCols) {
                        (lastRows, lastCols) = (r, c)
                        try? stream.resize(rows: Int(r), cols: Int(c))
                    }
                }
                guard fds[0].revents != 0 else { continue }
                let n = read(STDIN_FILENO, &buffer, buffer.count)
                // end of input (a pipe, not a terminal): the remote side gets ^D, as a terminal's
                if n <= 0 {
                    if !interactive { try? stream.write(Data([4])) }
                    return
                }
                if (try? stream.write(Data(translate(buffer[0..<n], detachKey: detachKey)))) == nil { return }
            }
        }
        if forwardInput { input.start() } else { ended.signal() }
        defer {
            git_sprite_unwatch_window()
            var quit = UInt8(ascii: "q")
            _ = write(wakeWrite, &quit, 1)
            // the pipe is closed once the thread is gone (a write to the sprite may hold it)
            if ended.wait(timeout: .now() + 2) == .success {
                close(wakeRead)
                close(wakeWrite)
            }
        }
        // a TTY merges both streams; the terminal gets everything (the alternate screen
        // followed as it is written, for a reset if the session is cut: also without raw mode,
        // `exec -t` with stdin left alone)
        git_sprite_session_output_begin(STDOUT_FILENO)
        defer { git_sprite_session_output_end() }
        let code: Int32
        do {
            let show: (Data) -> Void = { data in
                _ = data.withUnsafeBytes {
                    git_sprite_write_session(STDOUT_FILENO, $0.bindMemory(to: UInt8.self).baseAddress, $0.count)
                }
            }
            code = try stream.relay(stdout: show, stderr: show, onPort: onPort)
        } catch {
            // the connection broke: the sprite's full-screen program (tmux) never said goodbye
            git_sprite_reset_terminal_modes()
            throw error
        }
        stream.close()
        return code
    }

    /// Keystrokes as the sprite gets them: the detach key as tmux's Ctrl-b d.
    static func translate(_ bytes: ArraySlice<UInt8>, detachKey: UInt8?) -> [UInt8] {
        guard let detachKey, bytes.contains(detachKey) else { return Array(bytes) }
        return bytes.flatMap { $0 == detachKey ? [0x02, UInt8(ascii: "d")] : [$0] }
    }

    /// `ctrl-]`, `ctrl-x`, … as the byte a terminal sends for it; nil for `none`.
    public static func detachKey(_ text: String) throws -> UInt8? {
        let t = text.lowercased()
        if t == "none" { return nil }
        let names: [String: UInt8] = ["]": 0x1d, "\\": 0x1c, "^": 0x1e, "_": 0x1f, "@": 0x00]
        if t.hasPrefix("ctrl-"), t.count == 6, let c = t.last {
            if let byte = names[String(c)], byte != 0 { return byte }
            if let a = c.asciiValue, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(a), c != "b", c != "m", c != "i",
                c != "j"
            {
                return a - UInt8(ascii: "a") + 1
            }
        }
        throw SpriteError(
            "--detach-key '\(text)' is not a key git sprite can watch for",
            hints: [
                "name a control key: ctrl-] (the default inside tmux), ctrl-x, ctrl-\\, … or none "
                    + "(ctrl-b is tmux's own prefix; ctrl-i, ctrl-j and ctrl-m are Tab and Enter)"
            ],
            status: .usage)
    }

    /// The terminal's size now (24×80 when it has none).
    static func size() -> (rows: UInt16, cols: UInt16) {
        var rows: UInt16 = 24, cols: UInt16 = 80
        _ = git_sprite_window_size(STDOUT_FILENO, &rows, &cols)
        return (rows, cols)
    }
}
