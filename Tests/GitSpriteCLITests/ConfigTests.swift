import Foundation
import TestSupport
import Testing

@Suite("git sprite config, in-process", .offThePool)
struct ConfigTests {
    private func setting(_ r: RunResult, _ key: String) throws -> (value: Any?, kind: String?, origin: [String: Any]) {
        let j = try r.json()
        let entry = try #require((j["settings"] as? [String: Any])?[key] as? [String: Any], "no \(key)")
        let origin = (entry["origin"] as? [String: Any]) ?? [:]
        return (entry["value"] is NSNull ? nil : entry["value"], origin["kind"] as? String, origin)
    }

    @Test func defaultsAreShownWithTheirOrigin() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.spriteInProcess(["config", "--json"], in: repo)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try setting(r, "resources.cpu").value as? Int == 2)
        #expect(try setting(r, "resources.cpu").kind == "default")
        #expect(try setting(r, "resources.memory").value as? Int == 4)
        #expect(try setting(r, "lifecycle.auto_destroy").value as? Bool == false)
        #expect(try setting(r, "lifecycle.auto_checkpoint").value as? Bool == false)
        #expect(try setting(r, "network.default_policy").value as? String == "allow-all")
        #expect(try setting(r, "image.base_image").value as? String == "ubuntu:22.04")
        #expect(try setting(r, "image.install_claude").value as? Bool == true)
        #expect(try setting(r, "token").value as? [String: Bool] == ["present": false])
    }

    /// A setting that would do nothing says so: Sprites have one base image.
    @Test func aBaseImageOtherThanTheOneSpritesHaveIsWarnedAbout() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let quiet = try s.spriteInProcess(["config"], in: repo, gitArgs: ["-c", "sprite.image.baseImage=ubuntu:22.04"])
        #expect(!quiet.stderr.contains("base_image"), "\(quiet.stderr)")
        let r = try s.spriteInProcess(["config"], in: repo, gitArgs: ["-c", "sprite.image.baseImage=debian:12"])
        #expect(r.status == 0)
        #expect(
            r.stderr.contains("warning: sprite.image.baseImage = debian:12 (git -c (command line)) has no effect"),
            "\(r.stderr)")
        #expect(r.stderr.contains("sprite.image.packages"), "\(r.stderr)")
        try s.write(".config/git-sprite/config.toml", "[image]\nbase_image = \"alpine\"\n", in: s.path("home"))
        let plan = try s.spriteInProcess(["plan"], in: repo)
        #expect(plan.stderr.contains("image.base_image = alpine"), "\(plan.stderr)")
    }

    /// Values of one key are read as git reads them: file after file, and within a file from
    /// top to bottom (the last of a single value wins; an empty value clears what came before).
    /// Within a file they were read bottom to top: `cpu = 4` then `cpu = 3` gave 4.
    @Test func valuesInOneFileAreReadFromTopToBottomAsGitReadsThem() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        for (key, value) in [
            ("sprite.resources.cpu", "4"), ("sprite.resources.cpu", "3"),
            ("sprite.image.packages", "aaa"), ("sprite.image.packages", "bbb"),
        ] {
            try s.git("config", "--add", key, value, in: repo)
        }
        #expect(try s.git("config", "sprite.resources.cpu", in: repo) == "3")
        let both = try s.spriteInProcess(["config", "--json"], in: repo)
        #expect(try setting(both, "resources.cpu").value as? Int == 3)
        #expect(try setting(both, "image.packages").value as? [String] == ["aaa", "bbb"])
        try s.git("config", "--unset-all", "sprite.image.packages", in: repo)
        try s.git("config", "--global", "--add", "sprite.image.packages", "jq", in: repo)
        try s.git("config", "--add", "sprite.image.packages", "", in: repo)
        try s.git("config", "--add", "sprite.image.packages", "rg", in: repo)
        let cleared = try s.spriteInProcess(["config", "--json"], in: repo)
        #expect(try setting(cleared, "image.packages").value as? [String] == ["rg"])
    }

    @Test func gitDashCIsHonouredAndShownAsCommandLine() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("config", "sprite.resources.cpu", "5", in: repo)
        let r = try s.spriteInProcess(["config"], in: repo, gitArgs: ["-c", "sprite.resources.cpu=3"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = r.stdout.split(separator: "\n").first { $0.hasPrefix("sprite.resources.cpu\t") }
        #expect(row == "sprite.resources.cpu\t3\tgit -c (command line)")
        let local = try s.spriteInProcess(["config", "--json"], in: repo)
        let cpu = try setting(local, "resources.cpu")
        #expect(cpu.value as? Int == 5)
        #expect(cpu.origin["scope"] as? String == "local")
        #expect((cpu.origin["file"] as? String)?.hasSuffix("/app/.git/config") == true)
    }

    /// With `extensions.worktreeConfig`, git reads each worktree's own file
    /// (`git config --worktree`) over the repository's; git-sprite read only the repository's,
    /// so a linked worktree's own `sprite.*` values (or the identity the agent commits with)
    /// were not the ones git shows.
    @Test func eachWorktreesOwnFileIsReadWhenGitReadsIt() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("worktree", "add", "-q", "-b", "other", s.path("wt"), in: repo)
        try s.git("config", "sprite.resources.cpu", "3", in: repo)
        try s.write(".git/config.worktree", "[sprite \"resources\"]\n\tcpu = 6\n", in: repo)
        try s.write(".git/worktrees/wt/config.worktree", "[sprite \"resources\"]\n\tcpu = 7\n", in: repo)
        // without the extension git reads neither file
        for dir in [repo, s.path("wt")] {
            let r = try s.spriteInProcess(["config", "--json"], in: dir)
            #expect(try setting(r, "resources.cpu").value as? Int == 3, "\(r.stderr)")
            #expect(try s.git("config", "sprite.resources.cpu", in: dir) == "3")
        }
        try s.git("config", "extensions.worktreeConfig", "true", in: repo)
        for (dir, cpu, file) in [
            (repo, 6, "/app/.git/config.worktree"), (s.path("wt"), 7, "/app/.git/worktrees/wt/config.worktree"),
        ] {
            let r = try s.spriteInProcess(["config", "--json"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let setting = try setting(r, "resources.cpu")
            #expect(setting.value as? Int == cpu)
            #expect(setting.origin["scope"] as? String == "worktree", "\(setting.origin)")
            #expect((setting.origin["file"] as? String)?.hasSuffix(file) == true, "\(setting.origin)")
            #expect(try s.git("config", "sprite.resources.cpu", in: dir) == "\(cpu)")
        }
        // a bad value names the file and the command that fixes it in that file
        try s.git("config", "--worktree", "sprite.resources.cpu", "99", in: s.path("wt"))
        let bad = try s.spriteInProcess(["config"], in: s.path("wt"))
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("git config --worktree"), "\(bad.stderr)")
    }

    /// git reads `GIT_CONFIG_GLOBAL` instead of `~/.gitconfig` and the XDG file, and
    /// `GIT_CONFIG_SYSTEM` instead of `/etc/gitconfig` (none with `GIT_CONFIG_NOSYSTEM`);
    /// libgit2 1.5 knows neither, so git-sprite finds the files itself, and reads what
    /// `git config` reads.
    @Test func theConfigFilesGitIsPointedAtAreTheOnesRead() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("config", "--global", "sprite.resources.memory", "6")
        let global = s.path("elsewhere/global.cfg"), system = s.path("elsewhere/system.cfg")
        try s.write("global.cfg", "[sprite \"resources\"]\n\tcpu = 3\n", in: s.path("elsewhere"))
        try s.write("system.cfg", "[sprite \"resources\"]\n\tmemory = 8\n\tcpu = 5\n", in: s.path("elsewhere"))
        let pointed = ["GIT_CONFIG_GLOBAL": global, "GIT_CONFIG_SYSTEM": system, "GIT_CONFIG_NOSYSTEM": ""]
        let r = try s.spriteInProcess(["config", "--json"], in: repo, env: pointed)
        #expect(r.status == 0, "\(r.stderr)")
        let cpu = try setting(r, "resources.cpu"), memory = try setting(r, "resources.memory")
        #expect(cpu.value as? Int == 3)
        #expect(cpu.origin["scope"] as? String == "global" && cpu.origin["file"] as? String == global, "\(cpu.origin)")
        // ~/.gitconfig is not read: the system file's value stands
        #expect(memory.value as? Int == 8)
        #expect(memory.origin["scope"] as? String == "system" && memory.origin["file"] as? String == system)
        for key in ["sprite.resources.cpu", "sprite.resources.memory"] {
            let git = try s.git("config", key, in: repo, env: pointed)
            #expect(git == String(describing: try setting(r, String(key.dropFirst("sprite.".count))).value ?? ""))
        }
        // GIT_CONFIG_NOSYSTEM: no system file at all
        var noSystem = pointed
        noSystem["GIT_CONFIG_NOSYSTEM"] = "true"
        let quiet = try s.spriteInProcess(["config", "--json"], in: repo, env: noSystem)
        #expect(try setting(quiet, "resources.memory").kind == "default")
    }

    @Test func precedenceIsFlagThenEnvThenGitThenFileThenDefault() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.write(
            "git-sprite/config.toml",
            """
            [resources]
            cpu = 7
            memory = 12
            [lifecycle]
            auto_destroy = true
            [network]
            default_policy = "allow-list"
            allowed_domains = ["github.com", "*.pypi.org"]
            """, in: s.environment["XDG_CONFIG_HOME"]!)
        try s.git("config", "--global", "sprite.resources.memory", "6")
        try s.git("config", "--global", "--add", "sprite.network.allowedDomains", "example.org")
        try s.git("config", "--add", "sprite.network.allowedDomains", "*.example.net", in: repo)
        let r = try s.spriteInProcess(
            ["config", "--json"], in: repo, env: ["GIT_SPRITE_LIFECYCLE_AUTO_DESTROY": "false"])
        #expect(r.status == 0, "\(r.stderr)")
        let cpu = try setting(r, "resources.cpu")
        #expect(cpu.value as? Int == 7)
        #expect(cpu.kind == "file")
        #expect(cpu.origin["line"] as? Int == 2)
        let mem = try setting(r, "resources.memory")
        #expect(mem.value as? Int == 6)
        #expect(mem.origin["scope"] as? String == "global")
        let destroy = try setting(r, "lifecycle.auto_destroy")
        #expect(destroy.value as? Bool == false)
        #expect(destroy.origin["variable"] as? String == "GIT_SPRITE_LIFECYCLE_AUTO_DESTROY")
        #expect(try setting(r, "network.default_policy").value as? String == "allow-list")
        // multi-valued git config accumulates across files and beats the file's list
        #expect(try setting(r, "network.allowed_domains").value as? [String] == ["example.org", "*.example.net"])
        let flag = try s.spriteInProcess(
            ["plan", "--json", "--name", "from-flag"], in: repo,
            env: ["GIT_SPRITE_NAME": "from-env"])
        #expect(try flag.json()[path: "sprite.name"] as? String == "from-flag")
        let env = try s.spriteInProcess(["plan", "--json"], in: repo, env: ["GIT_SPRITE_NAME": "from-env"])
        #expect(try env.json()[path: "sprite.name"] as? String == "from-env")
    }

    @Test func theTokenIsNeverShownAndEnvBeatsTheFile() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let dir = s.environment["XDG_CONFIG_HOME"]! + "/git-sprite"
        try s.write("config.toml", "token = \"file-secret-token\"\n", in: dir)
        chmod(dir + "/config.toml", 0o644)
        let r = try s.spriteInProcess(["config", "--json"], in: repo)
        #expect(!r.stdout.contains("file-secret-token") && !r.stderr.contains("file-secret-token"))
        #expect(try setting(r, "token").value as? [String: Bool] == ["present": true])
        #expect(try setting(r, "token").kind == "file")
        #expect(r.stderr.contains("holds a token and is readable by others; run: chmod 600"))
        chmod(dir + "/config.toml", 0o600)
        let quiet = try s.spriteInProcess(["config"], in: repo, env: ["SPRITES_TOKEN": "env-secret"])
        #expect(!quiet.stderr.contains("readable by others"))
        #expect(!quiet.stdout.contains("env-secret"))
        #expect(quiet.stdout.contains("token\t(present)\tenv SPRITES_TOKEN"))
        let legacy = try s.spriteInProcess(["config"], in: repo, env: ["SPRITE_TOKEN": "x"])
        #expect(legacy.stdout.contains("token\t(present)\tenv SPRITE_TOKEN"))
    }

    @Test func configWorksOutsideARepository() throws {
        let s = try Sandbox()
        try s.git("config", "--global", "sprite.resources.cpu", "4")
        try FileManager.default.createDirectory(atPath: s.path("plain"), withIntermediateDirectories: true)
        let r = try s.spriteInProcess(
            ["config", "--json"], in: s.path("plain"), env: ["GIT_CEILING_DIRECTORIES": s.root])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try setting(r, "resources.cpu").value as? Int == 4)
    }

    @Test func malformedTOMLNamesFileAndLine() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let dir = s.environment["XDG_CONFIG_HOME"]! + "/git-sprite"
        try s.write("config.toml", "[resources]\ncpu = 2\nmemory = = 4\n", in: dir)
        let r = try s.spriteInProcess(["config"], in: repo)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: \(dir)/config.toml:3:"))
        #expect(r.stderr.contains("malformed TOML"))
        #expect(r.stderr.contains("hint: "))
        // plan reads the same file and fails the same way
        #expect(try s.spriteInProcess(["plan"], in: repo).status == 1)
    }

    @Test(arguments: [
        ("[resources]\ncpu = 12\n", "invalid value 12 for resources.cpu", ":2)", "whole numbers 1–8"),
        ("[resources]\nmemory = 0\n", "invalid value 0 for resources.memory", ":2)", "1–16"),
        (
            "[network]\ndefault_policy = \"deny-most\"\n", "invalid value 'deny-most' for network.default_policy",
            ":2)",
            "allow-all | block-all | allow-list"
        ),
        (
            "[network]\nallowed_domains = [\"ok.com\", \"bad_domain!\"]\n",
            "invalid value 'bad_domain!' for network.allowed_domains", ":2)", "host names"
        ),
        (
            "[lifecycle]\nauto_destroy = \"maybe\"\n", "invalid value 'maybe' for lifecycle.auto_destroy", ":2)",
            "true or false"
        ),
    ])
    func invalidFileValuesNameKeyOriginAndAllowedValues(
        toml: String, message: String, line: String,
        allowed: String
    ) throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let dir = s.environment["XDG_CONFIG_HOME"]! + "/git-sprite"
        try s.write("config.toml", toml, in: dir)
        let r = try s.spriteInProcess(["config"], in: repo)
        #expect(r.status == 1)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("error: " + message), "\(r.stderr)")
        #expect(first.hasSuffix("config.toml" + line), "\(r.stderr)")
        #expect(r.stderr.contains("hint: allowed: ") && r.stderr.contains(allowed), "\(r.stderr)")
    }

    @Test func invalidGitConfigValuesSayHowToFixThem() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("config", "--global", "sprite.resources.memory", "64")
        let r = try s.spriteInProcess(["config"], in: repo)
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: invalid value '64' for resources.memory (from git config --global"))
        #expect(r.stderr.contains("hint: git config --global sprite.resources.memory 4"))
        try s.git("config", "--global", "--unset", "sprite.resources.memory")
        let policy = try s.spriteInProcess(["config"], in: repo, gitArgs: ["-c", "sprite.network.defaultPolicy=open"])
        #expect(policy.stderr.contains("invalid value 'open' for network.default_policy (from git -c"))
        let domain = try s.spriteInProcess(["config"], in: repo, env: ["GIT_SPRITE_NETWORK_ALLOWED_DOMAINS": "a.com,*"])
        #expect(domain.stderr.contains("invalid value '*' for network.allowed_domains (from env"))
        #expect(domain.status == 1)
    }

    @Test func unknownFileKeysAreWarnedAbout() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.write("config.toml", "[resources]\ncpus = 2\n", in: s.environment["XDG_CONFIG_HOME"]! + "/git-sprite")
        let r = try s.spriteInProcess(["config"], in: repo)
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: ") && r.stderr.contains("config.toml:2: unknown key 'resources.cpus'"))
    }
}
