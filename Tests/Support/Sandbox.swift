// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Foundation
    import GitSpriteCore
    import SpriteSync
    import Testing

    /// The outcome of one process: stdout, stderr and exit status, kept apart.
    public struct RunResult {
        public let stdout: String
        public let stderr: String
        public let status: Int32

        public init(stdout: String, stderr: String, status: Int32) {
            (self.stdout, self.stderr, self.status) = (stdout, stderr, status)
        }

        /// Decodes stdout as JSON.
        public func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
        }
    }

    /// A private world for one test: its own HOME, XDG dirs and git identity, with the built
    /// binaries first on PATH so `git sprite …` goes through real git dispatch.
    public final class Sandbox: @unchecked Sendable {
        public let root: String
        public var environment: [String: String]

        public static let binDirectory: String = {
            var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<4 {
                if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("git-sprite").path) {
                    return dir.path
                }
                dir = dir.deletingLastPathComponent()
            }
            let cwd = FileManager.default.currentDirectoryPath
            return cwd + "/.build/debug"
        }()

        public init() throws {
            _ = Sandbox.foregroundSignals
            let base = FileManager.default.temporaryDirectory.path
            let template = base + "/git-sprite-test.XXXXXX"
            var bytes = Array(template.utf8CString)
            guard let made = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
            root = String(cString: made)
            let home = root + "/home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let inherited = ProcessInfo.processInfo.environment
            environment = [
                "PATH": Sandbox.binDirectory + ":" + (inherited["PATH"] ?? "/usr/bin:/bin"),
                "HOME": home,
                "XDG_CONFIG_HOME": home + "/.config",
                "XDG_STATE_HOME": home + "/.local/state",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
                "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
                "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
                "LANG": "C.UTF-8",
                "TERM": "dumb",
            ]
            // the edge tier's CA: what every git-sprite a test runs trusts, as the test process does
            // (outside that tier nothing of the caller's trust settings reaches a test)
            if inherited["GIT_SPRITE_TEST_EDGE"] == "1", let ca = inherited["SSL_CERT_FILE"], !ca.isEmpty {
                environment["SSL_CERT_FILE"] = ca
            }
            try write(".gitconfig", Sandbox.gitConfig, in: home)
        }

        /// The git configuration of a test's home: submodules from local paths, and no
        /// `git maintenance run --auto` started after every commit and fetch (a process each,
        /// thousands in a run, for repositories that live seconds).
        public static let gitConfig = """
            [init]
            \tdefaultBranch = main
            [protocol "file"]
            \tallow = always
            [maintenance]
            \tauto = false

            """

        deinit { Self.remove(root) }

        /// Removes a test's directory, or if it cannot yet, when the test process exits: a sprite
        /// host still stopping (its owner may end after the sandbox) has a sprite's disk mounted
        /// inside it, and removing stops at the mount point. Some hundred directories a run were
        /// left behind that way.
        public static func remove(_ path: String) {
            if (try? FileManager.default.removeItem(atPath: path)) != nil { return }
            guard FileManager.default.fileExists(atPath: path) else { return }
            removeAtExit(path)
        }

        /// Removes `path` when the test process exits.
        /// The processes a test starts are a terminal's foreground jobs, which Ctrl-C (SIGINT)
        /// and Ctrl-\\ (SIGQUIT) reach. A test process started as a shell's background job (the
        /// CI script runs the two tiers that way) has both ignored, every child inherits that,
        /// and git-sprite keeps a signal it was started with ignored: they go back to their
        /// default here, any other disposition stays.
        private static let foregroundSignals: Void = {
            for sig in [SIGINT, SIGQUIT] {
                let previous = signal(sig, SIG_DFL)
                if unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self) {
                    signal(sig, previous)
                }
            }
        }()

        public static func removeAtExit(_ path: String) {
            _ = exitHook
            atExit.withLock { $0.append(path) }
        }

        private static let atExit = Locked<[String]>([])
        private static let exitHook: Void = {
            atexit { for path in Sandbox.atExit.value { try? FileManager.default.removeItem(atPath: path) } }
        }()

        /// An absolute path inside the sandbox.
        public func path(_ relative: String) -> String { root + "/" + relative }

        /// Runs a program and waits; output goes through files so large outputs cannot deadlock.
        @discardableResult
        public func run(
            _ program: String, _ args: [String], in dir: String? = nil, env extra: [String: String] = [:],
            unset: [String] = [], stdin: String? = nil, limit: Double = 120
        ) throws -> RunResult {
            var env = environment.merging(extra) { $1 }
            for key in unset { env.removeValue(forKey: key) }
            let id = UUID().uuidString
            let outPath = root + "/.out-" + id, errPath = root + "/.err-" + id
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            defer {
                try? FileManager.default.removeItem(atPath: outPath)
                try? FileManager.default.removeItem(atPath: errPath)
            }
            // posix_spawn with every other descriptor closed (SpawnedChild), and never longer
            // than `limit`: a hung child fails its test instead of hanging the run
            let input = stdin != nil ? try ChildPipe() : nil
            let started = Date()
            let child = try SpawnedChild.start(
                program, args, environment: env, directory: dir ?? root, stdin: input?.read,
                stdout: out.fileDescriptor, stderr: err.fileDescriptor)
            try out.close()
            try err.close()
            let exited = DispatchSemaphore(value: 0)
            let status = Locked<Int32>(0)
            Thread {
                status.set(child.wait())
                exited.signal()
            }.start()
            if let input, let stdin {
                input.closeRead()
                input.writing.write(Data(stdin.utf8))
                input.closeWrite()
            }
            if exited.wait(timeout: .now() + limit) == .timedOut {
                Issue.record("\(program) \(args.joined(separator: " ")) did not finish within \(Int(limit)) s; killed")
                kill(child.pid, SIGKILL)
                exited.wait()
            }
            if OwnThread.timesTests && Date().timeIntervalSince(started) >= 1 {
                // with each test's time: which of its steps waited
                let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
                let line = ([program] + args).joined(separator: " ").prefix(120)
                FileHandle.standardError.write(
                    Data("run time: \(seconds) s \(Test.current?.name ?? "-"): \(line)\n".utf8))
            }
            return RunResult(
                stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                status: status.value)
        }

        /// Runs git and requires success.
        @discardableResult
        public func git(_ args: String..., in dir: String? = nil, env: [String: String] = [:]) throws -> String {
            let r = try run("git", args, in: dir, env: env)
            if r.status != 0 {
                Issue.record("git \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
                throw CocoaError(.executableLoad)
            }
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Runs `git [gitArgs] sprite args…` through real git dispatch.
        public func sprite(
            _ args: [String], in dir: String? = nil, gitArgs: [String] = [], env: [String: String] = [:],
            unset: [String] = []
        ) throws -> RunResult {
            try run("git", gitArgs + ["sprite"] + args, in: dir, env: env, unset: unset)
        }

        /// Starts `git sprite ARGS…` without waiting for it, as the leader of a process group of
        /// its own (as a terminal runs a job); `exited` is signalled when it ends. `throughGit:
        /// false` starts the git-sprite binary itself: through git, git's own directory comes
        /// first on its PATH.
        public func startSprite(
            _ args: [String], in dir: String, env extra: [String: String], throughGit: Bool = true
        )
            throws -> (process: Process, exited: DispatchSemaphore)
        {
            let p = Process()
            if throughGit {
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["git", "sprite"] + args
            } else {
                p.executableURL = URL(fileURLWithPath: Sandbox.binDirectory + "/git-sprite")
                p.arguments = args
            }
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.environment = environment.merging(extra) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            let exited = p.exitSignal()
            try p.runWithSignalsUnblocked()
            return (p, exited)
        }

        /// Writes a file and commits that file alone (whatever else is staged stays staged).
        public func commit(_ file: String, _ text: String, message: String, in dir: String) throws {
            try write(file, text, in: dir)
            try git("add", "--", file, in: dir)
            try git("commit", "-q", "-m", message, "--", file, in: dir)
        }

        /// Writes an executable script in the sandbox; returns its path.
        @discardableResult
        public func writeExecutable(_ name: String, _ text: String) throws -> String {
            try write(name, text)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path(name))
            return path(name)
        }

        /// Writes a file, creating parent directories.
        public func write(_ name: String, _ text: String, in dir: String? = nil) throws {
            let full = (dir ?? root) + "/" + name
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }

        /// A bare repository with one commit on main, usable as a remote; returns its path.
        @discardableResult
        public func makeRemote(_ name: String, files: [String: String] = ["README": "hello\n"]) throws -> String {
            let bare = path("remotes/\(name).git")
            try git("init", "-q", "--bare", bare)
            let work = path("seed/\(name)")
            try git("clone", "-q", bare, work)
            for (file, text) in files { try write(file, text, in: work) }
            try git("add", "-A", in: work)
            try git("commit", "-q", "-m", "seed \(name)", in: work)
            try git("push", "-q", "origin", "HEAD:main", in: work)
            return bare
        }

        /// The acceptance workspace's core: remotes `inner`, `lib` (with `inner` as a submodule by
        /// relative URL) and `app`, and a clone of `app` at `name` with `lib` added by relative URL
        /// and everything initialised and pushed. Returns the clone's path.
        public func makeAppWithNestedSubmodules(_ name: String = "app") throws -> String {
            try makeRemote("inner")
            try makeRemote("lib")
            let libSeed = path("seed/lib")
            try git("submodule", "add", "-q", "../inner.git", "vendor/inner", in: libSeed)
            try git("commit", "-q", "-m", "add inner", in: libSeed)
            try git("push", "-q", "origin", "HEAD:main", in: libSeed)
            try makeRemote("app")
            let app = path(name)
            try git("clone", "-q", path("remotes/app.git"), app)
            try git("submodule", "add", "-q", "../lib.git", "libs/lib", in: app)
            try git("submodule", "update", "-q", "--init", "--recursive", in: app)
            try git("commit", "-q", "-m", "add lib", in: app)
            try git("push", "-q", "origin", "HEAD:main", in: app)
            return app
        }

        /// The pid the local sprite-host (`--local`, `host start`) of this sandbox recorded.
        public var localHostPID: Int32? {
            let file = (environment["XDG_STATE_HOME"] ?? "") + "/git-sprite/local-host.pid"
            return (try? String(contentsOfFile: file, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }

        /// A repository with one commit and no remote; returns its path.
        @discardableResult
        public func makeRepo(_ name: String, commit: Bool = true) throws -> String {
            let dir = path(name)
            try git("init", "-q", dir)
            if commit {
                try self.commit("file.txt", "content\n", message: "initial", in: dir)
            }
            return dir
        }
    }

    extension Dictionary where Key == String, Value == Any {
        /// Walks a dotted path through nested objects (`primary.transport.method`).
        public subscript(path path: String) -> Any? {
            var current: Any? = self
            for part in path.split(separator: ".") {
                if let index = Int(part), let array = current as? [Any] {
                    current = index < array.count ? array[index] : nil
                } else {
                    current = (current as? [String: Any])?[String(part)]
                }
            }
            if current is NSNull { return nil }
            return current
        }
    }
#endif
