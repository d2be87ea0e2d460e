// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Foundation
    import Testing

    /// The workspace the acceptance criteria describe, shared by the `plan` and `up` tests: `app`
    /// with a nested submodule added by relative URL (`libs/lib` holding `vendor/inner`), 2 unpushed
    /// commits, a modified `README` and an untracked `scratch/new.txt`; and two linked repos:
    /// `tools`, a clone with a remote, linked by relative path, and `notes`, a repository of its own
    /// at `notes-repo`, linked by absolute path under the mount name `notes`.
    public struct Workspace {
        public let sandbox: Sandbox
        public let app: String
        public let tools: String
        public let notes: String

        /// - Parameter remoteURL: a URL for `app`'s origin in place of the local bare repository.
        public init(remoteURL: String? = nil, in sandbox: Sandbox? = nil) throws {
            let s = try sandbox ?? Sandbox()
            self.sandbox = s
            try Self.template.get().copy(into: s)
            (app, tools, notes) = (s.path("app"), s.path("tools"), s.path("notes-repo"))
            if let remoteURL { try s.git("remote", "set-url", "origin", remoteURL, in: app) }
        }

        /// The repositories, made with git once per test process: some forty tests start from
        /// this workspace, and making it is some two hundred process starts (submodules added,
        /// clones, pushes, two `git sprite link`s). Each test gets a copy (`cp -a`) with the
        /// template's directory replaced by its own in the repositories' configuration files, where
        /// git keeps remote and submodule URLs and git-sprite the linked repos' absolute paths.
        /// The dates are fixed (`Sandbox`), so every commit has the id a fresh one would have.
        static let template = Result { try Template() }

        final class Template: Sendable {
            let sandbox: Sandbox
            static let parts = ["remotes", "seed", "app", "tools", "notes-repo"]

            init() throws {
                let s = try Sandbox()
                sandbox = s
                Sandbox.removeAtExit(s.root)  // a static is never deinitialised
                let app = try s.makeAppWithNestedSubmodules()
                for n in 1...2 { try s.commit("work\(n).txt", "\(n)\n", message: "unpushed \(n)", in: app) }
                try s.write("README", "hello, changed\n", in: app)
                try s.write("scratch/new.txt", "new\n", in: app)
                try s.makeRemote("tools")
                try s.git("clone", "-q", s.path("remotes/tools.git"), s.path("tools"))
                let notes = try s.makeRepo("notes-repo")
                let linkTools = try s.sprite(["link", "../tools"], in: app)
                #expect(linkTools.status == 0, "\(linkTools.stderr)")
                let linkNotes = try s.sprite(["link", notes, "--as", "notes"], in: app)
                #expect(linkNotes.status == 0, "\(linkNotes.stderr)")
            }

            func copy(into s: Sandbox) throws {
                let copied = try s.run("cp", ["-a"] + Self.parts.map { sandbox.path($0) } + [s.root])
                #expect(copied.status == 0, "\(copied.stderr)")
                let fm = FileManager.default
                for part in Self.parts {
                    guard let walk = fm.enumerator(atPath: s.path(part)) else { continue }
                    while let relative = walk.nextObject() as? String {
                        guard relative.hasSuffix("/config") && relative.contains(".git") else { continue }
                        let file = s.path(part) + "/" + relative
                        let text = try String(contentsOfFile: file, encoding: .utf8)
                        guard text.contains(sandbox.root) else { continue }
                        try text.replacingOccurrences(of: sandbox.root, with: s.root)
                            .write(toFile: file, atomically: true, encoding: .utf8)
                    }
                }
            }
        }
    }
#endif
