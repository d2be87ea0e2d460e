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
            app = try s.makeAppWithNestedSubmodules()
            if let remoteURL { try s.git("remote", "set-url", "origin", remoteURL, in: app) }
            for n in 1...2 { try s.commit("work\(n).txt", "\(n)\n", message: "unpushed \(n)", in: app) }
            try s.write("README", "hello, changed\n", in: app)
            try s.write("scratch/new.txt", "new\n", in: app)
            try s.makeRemote("tools")
            tools = s.path("tools")
            try s.git("clone", "-q", s.path("remotes/tools.git"), tools)
            notes = try s.makeRepo("notes-repo")
            let linkTools = try s.sprite(["link", "../tools"], in: app)
            #expect(linkTools.status == 0, "\(linkTools.stderr)")
            let linkNotes = try s.sprite(["link", notes, "--as", "notes"], in: app)
            #expect(linkNotes.status == 0, "\(linkNotes.stderr)")
        }
    }
#endif
