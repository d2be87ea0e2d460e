import Foundation
import SpritesAPI
import TestSupport
import Testing

/// Network policies and resource limits as sprite-host enforces them (docs/security.md).
@Suite("sprite-host: network policy and resources", .ownThread)
struct SandboxPolicyTests {
    static func inSprite(_ api: SpritesClient, _ sprite: String, _ script: String) throws -> String {
        String(decoding: try api.run(sprite, ["sh", "-c", script]).stdout, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anAllowListLetsOnlyItsNamesOutThroughTheProxy() throws {
        let f = try HostFixture(sprites: ["list"])
        let (host, api) = (f.host, f.api)
        let outside = try TestDaemon(["python3", "-u", "-m", "http.server", "0", "--bind", TestNetwork.hostAddress])
        let port = try #require(outside.firstLine.split(separator: " ").drop { $0 != "port" }.dropFirst().first)
        // names the proxy resolves to this machine's own address (no DNS in tests)
        let names = ["allowed.test", "denied.test", "a.example.test", "deep.a.example.test", "blocked.example.test"]
        try host.hook(
            "POST", "/_host/resolve",
            json: Dictionary(uniqueKeysWithValues: names.map { ($0, [TestNetwork.hostAddress]) }))
        try api.setNetworkPolicy(
            "list",
            rules: [
                PolicyRule(domain: "allowed.test", action: "allow"),
                PolicyRule(domain: "*.example.test", action: "allow"),
                PolicyRule(domain: "blocked.example.test", action: "deny"), PolicyRule(domain: "*", action: "deny"),
            ])
        let enforcement = try api.call("GET", "/v1/sprites/list/policy/network")
        #expect(String(decoding: enforcement.body, as: UTF8.self).contains("filtered"))
        func code(_ target: String, _ extra: String = "") throws -> String {
            try Self.inSprite(
                api, "list", "curl -s \(extra) --max-time 5 -o /dev/null -w '%{http_code}' \(target) || true")
        }
        #expect(try code("http://allowed.test:\(port)/") == "200")
        #expect(try code("http://a.example.test:\(port)/") == "200")
        #expect(try code("http://deep.a.example.test:\(port)/") == "200")
        #expect(try code("http://allowed.test:\(port)/", "--proxytunnel") == "200")  // CONNECT, as HTTPS does
        #expect(try code("http://denied.test:\(port)/") == "403")
        #expect(try code("http://blocked.example.test:\(port)/") == "403")  // the more specific rule wins
        #expect(try code("http://\(TestNetwork.hostAddress):\(port)/") == "403")  // no rule can name an address
        // around the proxy there is no way out
        #expect(try code("http://\(TestNetwork.hostAddress):\(port)/", "--noproxy '*'") == "000")
        // an allow-list without a catch-all still means only what it lists, and says which rule
        try api.setNetworkPolicy("list", rules: [PolicyRule(domain: "allowed.test", action: "allow")])
        #expect(try code("http://allowed.test:\(port)/") == "200")
        #expect(try code("http://denied.test:\(port)/") == "403")
        #expect(
            try Self.inSprite(api, "list", "curl -s --max-time 5 http://denied.test:\(port)/ || true")
                .contains("no rule of the sprite's network policy allows denied.test"))
        // addresses in every spelling the C library reads, plain and through CONNECT, sent to the
        // proxy as written (curl would rewrite them to dotted quads first)
        func raw(_ line: String) throws -> String {
            try Self.inSprite(
                api, "list",
                """
                python3 -c '
                import os, socket, sys, urllib.parse as u
                p = u.urlsplit(os.environ.get("http_proxy") or os.environ["HTTP_PROXY"])
                s = socket.create_connection((p.hostname, p.port), timeout=5)
                s.sendall(sys.argv[1].encode() + b"\\r\\nHost: x\\r\\n\\r\\n")
                print(s.recv(200).split(b" ")[1].decode())
                ' '\(line)'
                """)
        }
        // this machine's own address (a server answers there) spelt in hex and as one number
        let octets = TestNetwork.hostAddress.split(separator: ".").compactMap { UInt32($0) }
        let hex = octets.map { "0x" + String($0, radix: 16) }.joined(separator: ".")
        let number = String(octets.reduce(0) { $0 << 8 | $1 })
        for spelling in [
            "0x7f.0.0.1", "0300.0250.0.1", "2130706433", "127.1", "[::1]", "0x7f000001", "0177.0.0.01", hex, number,
        ] {
            #expect(try raw("CONNECT \(spelling):\(port) HTTP/1.1") == "403", "CONNECT \(spelling)")
            #expect(try raw("GET http://\(spelling):\(port)/ HTTP/1.1") == "403", "GET \(spelling)")
        }
        #expect(try raw("CONNECT allowed.test:\(port) HTTP/1.1") == "200", "the probe itself works")
        // a policy that only denies lets the rest out
        try api.setNetworkPolicy("list", rules: [PolicyRule(domain: "denied.test", action: "deny")])
        // (open: no proxy, the sprite's own route; a name the proxy would allow is not looked up here)
        // a new policy applies at once
        try api.setNetworkPolicy(
            "list", rules: [PolicyRule(domain: "*", action: "deny"), PolicyRule(include: "defaults")])
        #expect(try code("http://allowed.test:\(port)/") == "403")
        // block-all: not even the proxy lets anything through
        try api.setNetworkPolicy("list", rules: [PolicyRule(domain: "*", action: "deny")])
        #expect(try code("http://allowed.test:\(port)/", "--noproxy '*'") == "000")
        let bad = try api.call(
            "POST", "/v1/sprites/list/policy/network",
            body: Data(#"{"rules":[{"include":"everything"}]}"#.utf8), contentType: "application/json",
            accept: [400])
        #expect(bad.status == 400)
    }

    /// The groups of a running host, read from where it is (`/proc/PID/cgroup`: its `host`
    /// leaf in each hierarchy), not by walking the whole cgroup tree, which other tests' hosts
    /// change all the time: its base group in each hierarchy, or one sprite's group there.
    static func cgroups(ofHost pid: pid_t, named sprite: String? = nil) -> [String] {
        let membership = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        return existing(
            membership.split(separator: "\n").compactMap { line -> String? in
                let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, parts[2].hasSuffix("/host"), parts[2].contains("/sprite-host-") else {
                    return nil
                }
                let mount = parts[1].isEmpty ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + parts[1]
                let base = mount + parts[2].dropLast("/host".count)
                return sprite.map { base + "/sprite-" + $0 } ?? base
            })
    }

    static func existing(_ dirs: [String]) -> [String] {
        dirs.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// A host's cgroups go when it stops; those of a host that was killed go when the next one
    /// starts; a running host's are never touched.
    @Test func aHostRemovesItsCgroupsOnExitAndSweepsThoseOfDeadHosts() throws {
        let s = try Sandbox()
        var killed: LocalHost? = try LocalHost(root: s.path("killed"))
        let killedRoot = killed!.root
        _ = try killed!.client().createSprite(SpriteCreation(name: "k"))
        _ = try killed!.client().run("k", ["true"])
        try #require(!Self.cgroups(ofHost: killed!.pid, named: "k").isEmpty, "cgroups in use on this machine")
        let killedGroups = Self.cgroups(ofHost: killed!.pid)
        kill(killed!.pid, SIGKILL)
        killed = nil
        // what a killed host cannot do: unmount its sprite's disk
        _ = try? s.run("umount", ["-l", killedRoot + "/sprites/k/disk"])
        // (nothing of the killed host removed its groups; another test's host starting now may
        // already have swept them, as the next one below must)

        var clean: LocalHost? = try LocalHost(root: s.path("clean"))
        _ = try clean!.client().createSprite(SpriteCreation(name: "c"))
        _ = try clean!.client().run("c", ["true"])
        // the new host swept the killed one's groups, and its own are there
        #expect(Self.existing(killedGroups).isEmpty, "\(Self.existing(killedGroups))")
        #expect(!Self.cgroups(ofHost: clean!.pid, named: "c").isEmpty)
        // a third host leaves the running one's groups alone
        let third = try LocalHost(root: s.path("third"))
        _ = try third.client().listSprites()
        #expect(!Self.cgroups(ofHost: clean!.pid, named: "c").isEmpty)
        #expect(try clean!.client().run("c", ["true"]).status == 0)
        let cleanGroups = Self.cgroups(ofHost: clean!.pid)
        #expect(!cleanGroups.isEmpty)
        clean = nil  // SIGTERM: the host stops its sprites and removes its groups
        #expect(Self.existing(cleanGroups).isEmpty, "\(Self.existing(cleanGroups))")
    }

    /// On a root host a sprite's storage_gb is a file system of its own: writing past it fails
    /// with ENOSPC inside the sprite (the host's disk is untouched), the files survive the host's
    /// restart, and deleting the sprite takes the file system with it. An ordinary user's host
    /// says it cannot limit storage, and why.
    @Test(arguments: HostUser.allCases)
    func aSpriteCannotWritePastItsStorage(user: HostUser) throws {
        let s = try Sandbox()
        var host: LocalHost? = try LocalHost(root: s.path("host"), user: user)
        let root = host!.root
        var api = host!.client()
        api.maxAttempts = 1
        _ = try api.createSprite(SpriteCreation(name: "small", storageGB: 1))
        let object = try #require(
            try JSONSerialization.jsonObject(with: api.call("GET", "/v1/sprites/small").body) as? [String: Any])
        let report = try #require((object["local_enforcement"] as? [String: Any])?["storage"] as? String)
        guard user == .root else {
            #expect(report == "not enforced: sprite-host does not run as root", "\(report)")
            return
        }
        try #require(access("/dev/loop-control", R_OK | W_OK) == 0, "loop devices on this machine")
        #expect(report.hasPrefix("enforced: a file system of its own, 1 GB"), "\(report)")
        let fill = try Self.inSprite(
            api, "small",
            """
            dd if=/dev/zero of=/home/sprite/big bs=1M count=1200 2>&1 | grep -o 'No space left on device' | head -1
            echo tmp-too: $(dd if=/dev/zero of=/tmp/more bs=1M count=10 2>&1 | grep -c 'No space left')
            rm -f /home/sprite/big /tmp/more; sync
            echo after: $(dd if=/dev/zero of=/home/sprite/fits bs=1M count=100 2>&1 | grep -c 'No space left')
            """)
        #expect(fill.contains("No space left on device"), "\(fill)")
        #expect(fill.contains("tmp-too: 1"), "/tmp shares the limit: \(fill)")
        #expect(fill.contains("after: 0"), "room again once deleted: \(fill)")
        // the image holds what the sprite wrote, no more than its size
        var st = stat()
        #expect(stat(root + "/sprites/small/disk.img", &st) == 0)
        #expect(Int(st.st_blocks) * 512 < 1_200 << 20, "\(st.st_blocks) blocks")
        // a restarted host finds the sprite's files where they were
        host = nil
        #expect(
            !(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(
                root + "/sprites/small/disk"),
            "the host unmounted the disk on its way out")
        host = try LocalHost(root: root, user: user)
        api = host!.client()
        #expect(try api.run("small", ["stat", "-c", "%s", "/home/sprite/fits"]).stdout == Data("104857600\n".utf8))
        // deleting the sprite takes its file system: unmounted, the image gone
        try api.deleteSprite("small")
        #expect(!FileManager.default.fileExists(atPath: root + "/sprites/small"))
        #expect(
            !(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(
                root + "/sprites/small/disk"))
    }

    /// Memory admission on a root host: with room for two 1 GB sprites' limits, a third does
    /// not start (409, with the figures and the way out) until one goes cold.
    @Test func aSpriteThatWouldOvercommitTheHostsMemoryDoesNotStart() throws {
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let hostMB =
            (Int(
                meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
                    .split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
        // the smallest share that holds 2,048 MB: less than 3,072 on any machine under 100 GB
        let share = (2048 * 100 + hostMB - 1) / hostMB
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), extraArgs: ["--memory-share", String(share)])
        let api = host.client()
        api.maxAttempts = 1
        for name in ["one", "two", "three"] { _ = try api.createSprite(SpriteCreation(name: name, ramMB: 1024)) }
        let object = try #require(
            try JSONSerialization.jsonObject(with: api.call("GET", "/v1/sprites/one").body) as? [String: Any])
        try #require(
            ((object["local_enforcement"] as? [String: Any])?["resources"] as? String)?.hasPrefix("enforced") == true,
            "cgroups on this machine")
        #expect(try api.run("one", ["true"]).status == 0)
        #expect(try api.run("two", ["true"]).status == 0)
        do {
            _ = try api.run("three", ["true"])
            Issue.record("a third sprite started past the memory share")
        } catch {
            #expect("\(error)".contains("sprite three cannot start: it asks for 1024 MB"), "\(error)")
            #expect("\(error)".contains("already add up to 2048 MB"), "\(error)")
            #expect("\(error)".contains("--memory-share"), "\(error)")
        }
        _ = try api.call("POST", "/_host/sprites/one/cold")
        #expect(try api.run("three", ["true"]).status == 0)
    }

    /// A sprite named `host` gets a group of its own, not the leaf the host runs in: the host
    /// would run under that sprite's limits, and a fork bomb or a memory hog in the sprite
    /// would take the host down with it.
    @Test func aSpriteNamedHostIsNotLimitedInTheHostsOwnGroup() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        api.maxAttempts = 1
        _ = try api.createSprite(SpriteCreation(name: "host", cpus: 1, ramMB: 1024))
        #expect(try api.run("host", ["true"]).status == 0)
        let bases = Self.cgroups(ofHost: host.pid)
        try #require(!bases.isEmpty, "cgroups in use on this machine")
        let files = ["memory.limit_in_bytes", "memory.max", "cpu.cfs_quota_us", "cpu.max", "pids.max"]
        func limits(_ dir: String) -> String {
            files.compactMap { try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined()
        }
        for base in bases {
            #expect(!limits(base + "/host").contains("1073741824"), "\(base)/host: \(limits(base + "/host"))")
            #expect(!limits(base + "/host").contains("4096"), "\(base)/host: \(limits(base + "/host"))")
        }
        // the sprite's limits are where its own group is
        let own = Self.cgroups(ofHost: host.pid, named: "host")
        #expect(!own.isEmpty)
        #expect(own.map(limits).joined().contains("1073741824"))
    }

    @Test(arguments: HostUser.allCases)
    func resourcesAreValidatedAndEnforcedOrSaidNotToBe(user: HostUser) throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), user: user)
        let api = host.client()
        api.maxAttempts = 1
        for config: [String: Any] in [["cpus": 0], ["cpus": 9], ["ram_mb": 512], ["ram_mb": 16385], ["cpus": -2]] {
            let body = try JSONSerialization.data(withJSONObject: ["name": "bad", "config": config])
            let r = try api.call("POST", "/v1/sprites", body: body, contentType: "application/json", accept: [400])
            #expect(r.status == 400, "\(config)")
        }
        _ = try api.createSprite(SpriteCreation(name: "small", cpus: 1, ramMB: 1024))
        let object = try #require(
            try JSONSerialization.jsonObject(with: api.call("GET", "/v1/sprites/small").body) as? [String: Any])
        let report = try #require((object["local_enforcement"] as? [String: Any])?["resources"] as? String)
        guard report.hasPrefix("enforced") else {
            // said plainly, with the reason (an ordinary user's host cannot use cgroups here)
            #expect(report.hasPrefix("not enforced: ") && report.count > 20, "\(report)")
            return
        }
        #expect(user == .root)
        // read where the host set them: a sprite sees no cgroup file system at all
        _ = try api.run("small", ["true"])
        let groups = Self.cgroups(ofHost: host.pid, named: "small")
        #expect(!groups.isEmpty)
        let limits = groups.flatMap { dir in
            ["memory.limit_in_bytes", "memory.max", "cpu.cfs_quota_us", "cpu.max", "pids.max"].compactMap {
                try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)
            }
        }.joined()
        #expect(limits.contains("1073741824"), "\(limits)")
        #expect(limits.contains("100000"), "\(limits)")
        #expect(limits.contains("4096"), "\(limits)")
        // 1.5 GB in a 1 GB sprite: the kernel ends the process, not the host
        let hog = try api.run("small", ["python3", "-c", "b = b'x' * (1536 * 1024 * 1024); print(len(b))"])
        #expect(hog.status == 137, "\(hog.status) \(String(decoding: hog.stdout, as: UTF8.self))")
        #expect(try api.run("small", ["true"]).status == 0)
    }
}
