import Foundation
import SpriteGit
import Testing

/// libgit2 through SpriteGit, against repositories made with `git`: discovery from a
/// subdirectory and through GIT_DIR, HEAD in each of its states, change counts and submodules.
@Suite("SpriteGit")
struct RepositoryTests {
    final class Scratch {
        let root: String

        init() throws {
            var template = Array((FileManager.default.temporaryDirectory.path + "/sprite-git.XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            root = String(cString: made)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        @discardableResult
        func git(_ args: String..., in dir: String) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments =
                [
                    "git", "-c", "init.defaultBranch=main", "-c", "user.name=T", "-c", "user.email=t@example.com",
                    "-c", "protocol.file.allow=always",
                ] + args
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.environment = ["PATH": "/usr/bin:/bin", "HOME": root, "GIT_CONFIG_NOSYSTEM": "1"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            // a semaphore, not waitUntilExit() alone, which waits in steps of 50 ms on Linux;
            // once ended, it returns at once and lets the process (and its pipes) go
            let exited = DispatchSemaphore(value: 0)
            p.terminationHandler = { process in
                process.waitUntilExit()  // lint: allowed here
                exited.signal()
            }
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            exited.wait()
            #expect(p.terminationStatus == 0, "git \(args)")
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func repo(_ name: String, commit: Bool = true) throws -> String {
            let dir = root + "/" + name
            try FileManager.default.createDirectory(atPath: dir + "/sub/dir", withIntermediateDirectories: true)
            try git("init", "-q", in: dir)
            if commit {
                try "x\n".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
                try git("add", ".", in: dir)
                try git("commit", "-qm", "one", in: dir)
            }
            return dir
        }
    }

    /// libgit2's start-up asks for the system's CA bundle; the link sends its calls to the
    /// declining loaders of `Sources/CGit2Startup`, so nothing is parsed, and mbedTLS's HAVEGE
    /// polls to the kernel's generator. Were libgit2 the
    /// shared library (or the link without `--wrap`), the count would stay at zero.
    @Test func libgit2sStartUpReachesTheDecliningCALoaders() throws {
        #expect(GitLibrary.caLoadsDeclined >= 1)
        // its DRBG seeded from the kernel's generator, HAVEGE's timing-jitter fill never run
        #expect(GitLibrary.kernelEntropyPolls >= 1)
        // linked in: mbedTLS's shared library is never loaded
        #expect(dlopen("libmbedx509.so.1", RTLD_NOW | RTLD_NOLOAD) == nil)
        #expect(dlopen("libgit2.so.1.5", RTLD_NOW | RTLD_NOLOAD) == nil)
    }

    /// The files outside a repository are found from the environment given, as git finds them.
    @Test func configFilesAreFoundAsGitFindsThem() {
        let home = ConfigFiles(environment: ["HOME": "/h"])
        #expect(home.global == "/h/.gitconfig" && home.xdg == "/h/.config/git/config" && home.system != nil)
        #expect(ConfigFiles(environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"]).xdg == "/x/git/config")
        let pointed = ConfigFiles(environment: ["HOME": "/h", "GIT_CONFIG_GLOBAL": "/g", "GIT_CONFIG_SYSTEM": "/s"])
        #expect(pointed == ConfigFiles(system: "/s", xdg: nil, global: "/g"))
        // set but empty: git reads no file at that level (HOME's files included)
        let empty = ConfigFiles(environment: ["HOME": "/h", "GIT_CONFIG_GLOBAL": "", "GIT_CONFIG_SYSTEM": ""])
        #expect(empty == ConfigFiles(system: nil, xdg: nil, global: nil))
        for yes in ["1", "true", "YES", "on"] {
            #expect(ConfigFiles(environment: ["GIT_CONFIG_NOSYSTEM": yes, "GIT_CONFIG_SYSTEM": "/s"]).system == nil)
        }
        for no in ["", "0", "false", "off"] {
            #expect(ConfigFiles(environment: ["GIT_CONFIG_NOSYSTEM": no, "GIT_CONFIG_SYSTEM": "/s"]).system == "/s")
        }
    }

    /// Two repositories opened in one process with different environments each read their
    /// own files: nothing comes from the process's `HOME`.
    @Test func aRepositoryReadsTheConfigOfTheEnvironmentItWasOpenedWith() throws {
        let scratch = try Scratch()
        let dir = try scratch.repo("r")
        var read: [String] = []
        for name in ["first", "second"] {
            let file = scratch.root + "/\(name).cfg"
            try "[sprite]\n\tname = \(name)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let repo = try Repository.discover(
                from: dir, environment: ["HOME": scratch.root + "/nowhere", "GIT_CONFIG_GLOBAL": file])
            let entries = try repo.config().entries(matching: "^sprite\\.name$")
            #expect(entries.map(\.scope) == [.global])
            read += entries.compactMap(\.value)
            #expect(GitConfig.path(of: .global, files: repo.configFiles, repository: repo) == file)
        }
        #expect(read == ["first", "second"])
    }

    @Test func discoveryWalksUpAndHonoursGitDir() throws {
        let s = try Scratch()
        let repo = try s.repo("app")
        let found = try Repository.discover(from: repo + "/sub/dir", environment: [:])
        #expect(
            found.workdir.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                == URL(fileURLWithPath: repo).standardizedFileURL.path)
        let viaEnv = try Repository.discover(
            from: s.root, environment: ["GIT_DIR": repo + "/.git", "GIT_WORK_TREE": repo])
        #expect(viaEnv.workdir != nil && !viaEnv.isBare)
        #expect(throws: RepositoryOpenError.self) { try Repository.discover(from: s.root, environment: [:]) }
    }

    @Test func headIsABranchDetachedOrUnborn() throws {
        let s = try Scratch()
        let repo = try s.repo("app")
        let head = try s.git("rev-parse", "HEAD", in: repo)
        #expect(try Repository.open(at: repo).head() == .branch(name: "main", commit: ObjectID(hex: head)))
        try s.git("checkout", "-q", "--detach", in: repo)
        #expect(try Repository.open(at: repo).head().branchName == nil)
        let empty = try s.repo("empty", commit: false)
        #expect(try Repository.open(at: empty).head() == .unborn(name: "main"))
    }

    /// The root of HEAD's first-parent chain, and the shortcut through an earlier answer: the
    /// walk stops where it meets the commit that answer was for (shown here by an answer only
    /// that commit could give), and never takes an answer for a commit off the chain.
    @Test func theFirstParentRootIsFoundThroughAnEarlierAnswerOnlyOnTheChain() throws {
        let s = try Scratch()
        let repo = try s.repo("app")
        let root = ObjectID(hex: try s.git("rev-parse", "HEAD", in: repo))
        try s.git("commit", "-q", "--allow-empty", "-m", "two", in: repo)
        let known = ObjectID(hex: try s.git("rev-parse", "HEAD", in: repo))
        try s.git("checkout", "-q", "-b", "side", "HEAD~1", in: repo)
        try s.git("commit", "-q", "--allow-empty", "-m", "side", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("merge", "-q", "--no-ff", "-m", "merge", "side", in: repo)
        try s.git("commit", "-q", "--allow-empty", "-m", "three", in: repo)
        let head = ObjectID(hex: try s.git("rev-parse", "HEAD", in: repo))
        let r = try Repository.open(at: repo)
        #expect(try r.firstParentRoot(of: head) == root)
        let marker = ObjectID(hex: String(repeating: "e", count: 40))
        #expect(try r.firstParentRoot(of: head, knowing: (known, marker)) == marker)
        // the side branch's commit is reachable, but not along first parents
        let side = ObjectID(hex: try s.git("rev-parse", "side", in: repo))
        #expect(try r.firstParentRoot(of: head, knowing: (side, marker)) == root)
        // a commit that is not there, and a walk cut short before it meets the known commit
        #expect(try r.firstParentRoot(of: head, knowing: (marker, marker)) == root)
        #expect(try r.firstParentRoot(of: head, knowing: (known, marker), within: 1) == root)
    }

    /// A key is looked up as git looks it up: section and variable in any case (`spriteRoot` is
    /// stored as `spriteroot`), the subsection exactly, and a branch name's characters (`+`,
    /// `[`, `.`) never read as a pattern.
    @Test func aKeyIsFoundAsGitFindsIt() throws {
        let s = try Scratch()
        let repo = try s.repo("app")
        for (key, value) in [
            ("branch.c++.spriteRoot", "plus"), ("branch.a[1].sprite", "bracket"), ("branch.Main.sprite", "upper"),
            ("branch.v1.2.sprite", "dots"),
        ] {
            try s.git("config", key, value, in: repo)
        }
        let config = try Repository.open(at: repo).config()
        #expect(config.allValues(of: "branch.c++.spriteRoot") == ["plus"])
        #expect(config.allValues(of: "BRANCH.c++.SPRITEROOT") == ["plus"])
        #expect(config.allValues(of: "branch.cc.spriteRoot") == [])
        #expect(config.allValues(of: "branch.a[1].sprite") == ["bracket"])
        #expect(config.allValues(of: "branch.a1.sprite") == [])
        #expect(config.allValues(of: "branch.Main.sprite") == ["upper"])
        #expect(config.allValues(of: "branch.main.sprite") == [])
        #expect(config.allValues(of: "branch.v1.2.sprite") == ["dots"])
        #expect(config.allValues(of: "branch.v1x2.sprite") == [])
    }

    @Test func changesAreCountedAsGitStatusGroupsThem() throws {
        let s = try Scratch()
        let repo = try s.repo("app")
        try "changed\n".write(toFile: repo + "/file", atomically: true, encoding: .utf8)
        try "a\n".write(toFile: repo + "/sub/dir/new1", atomically: true, encoding: .utf8)
        try "b\n".write(toFile: repo + "/sub/new2", atomically: true, encoding: .utf8)
        try "c\n".write(toFile: repo + "/staged", atomically: true, encoding: .utf8)
        try s.git("add", "staged", in: repo)
        let counts = try Repository.open(at: repo).changeCounts()
        #expect(counts.modified == 1 && counts.untracked == 2 && counts.staged == 1 && !counts.isClean)
    }

    @Test func submodulesAreListedWithTheirRecordedCommits() throws {
        let s = try Scratch()
        let lib = try s.repo("lib")
        let app = try s.repo("app")
        try s.git("submodule", "add", "-q", lib, "libs/lib", in: app)
        try s.git("commit", "-qm", "add lib", in: app)
        let subs = try Repository.open(at: app).submodules()
        #expect(subs.map(\.path) == ["libs/lib"])
        #expect(subs.first?.recordedCommit?.hex == (try s.git("rev-parse", "HEAD:libs/lib", in: app)))
        #expect(subs.first?.isInitialized == true)
    }
}
