import Foundation
import SpritesAPI
import TestSupport
import Testing

/// running → warm → cold on idle, services back after a wake, tasks holding a sprite awake.
@Suite("sprite-host lifecycle", .ownThread)
struct HostLifecycleTests {
    private func status(_ api: SpritesClient, _ name: String) -> String? {
        // listing does not wake sprites; getting one does
        (try? api.listSprites(prefix: name))?.first { $0.name == name }?.status?.description
    }

    @Test func idleSpritesGoWarmThenColdAndServicesComeBackOnWake() throws {
        let s = try Sandbox()
        // idle for 3 s, not 1: on a busy machine a second can pass between two calls
        let host = try LocalHost(root: s.path("host"), idle: 3, coldAfter: 2)
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "life"))
        try api.putService(
            "life", name: "boot", cmd: "sh", args: ["-c", "echo up >> /home/sprite/boots; exec sleep 1000"])
        #expect(status(api, "life") == "running")
        #expect(eventually(seconds: 10) { status(api, "life") == "warm" })
        #expect(eventually(seconds: 10) { status(api, "life") == "cold" })
        let boots = { String(decoding: (try? api.readFile("life", path: "boots")) ?? Data(), as: UTF8.self) }
        #expect(eventually(seconds: 5) { boots() == "up\nup\n" }, "\(boots())")
        #expect(try api.services("life").first?.state?.status == "running")
    }

    /// Told to stop (systemd's stop, a Ctrl-C), the host does not wait on its longest request:
    /// an HTTP exec that would run for ten minutes is cut a moment later, and the host exits.
    /// (It waited for every request in flight: a restart in the fault matrix took 10 s, until
    /// the test killed the host, and a stalled upload could hold a stop for as long as it liked.)
    @Test func aStoppedHostDoesNotWaitOnARequestInFlight() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "long"))
        let headers = try host.authorizationFile(in: s)
        let ended = DispatchSemaphore(value: 0)
        Thread {
            _ = try? s.run(
                "curl",
                [
                    "-sS", "-o", "/dev/null", "-X", "POST", "-H", "@" + headers,
                    host.directURL + "/v1/sprites/long/exec?cmd=sh&cmd=-c&cmd=touch+started%3B+exec+sleep+600",
                ], limit: 900)
            ended.signal()
        }.start()
        #expect(eventually(seconds: 30) { (try? api.readFile("long", path: "started")) != nil })
        kill(host.pid, SIGTERM)
        #expect(ended.wait(timeout: .now() + 60) == .success, "the request was not cut")
        #expect(eventually(seconds: 60) { !host.isRunning }, "the host did not exit")
    }

    /// A sprite's URL streaming an answer that never ends (server-sent events) does not hold a
    /// stop either: the host read that answer where no cancellation reached, and waited forever.
    @Test func aStoppedHostDoesNotWaitOnASpritesEndlessAnswer() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        let url = try #require(try api.createSprite(SpriteCreation(name: "feed")).url)
        let port = String(url.dropFirst("http://feed.localhost:".count).dropLast())
        let server = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 8080)); s.listen(); held = []
            while True:
                c, _ = s.accept(); c.recv(65536); held.append(c)
                c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\n\\r\\ndata: hello\\n\\n")
            """
        _ = try api.putService("feed", name: "feed", cmd: "python3", args: ["-c", server])
        let headers = try host.authorizationFile(in: s), got = s.path("got")
        let ended = DispatchSemaphore(value: 0)
        Thread {
            _ = try? s.run(
                "curl",
                [
                    "-sN", "-o", got, "-H", "@" + headers, "--resolve", "feed.localhost:\(port):127.0.0.1",
                    "--retry", "20", "--retry-connrefused", "--retry-delay", "1", "http://feed.localhost:\(port)/",
                ], limit: 900)
            ended.signal()
        }.start()
        #expect(
            eventually(seconds: 60) { (try? String(contentsOfFile: got, encoding: .utf8))?.contains("hello") == true })
        kill(host.pid, SIGTERM)
        #expect(eventually(seconds: 60) { !host.isRunning }, "the host did not exit")
        #expect(ended.wait(timeout: .now() + 30) == .success, "the answer did not end")
    }

    @Test func aLiveTaskKeepsTheSpriteRunning() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), idle: 1, coldAfter: 30)
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "busy"))
        let sock = ["curl", "-s", "--unix-socket", "/.sprite/api.sock"]
        #expect(
            eventually(seconds: 5) {
                (try? api.run("busy", ["test", "-S", "/.sprite/api.sock"]).status) == 0
            })
        let made = try api.run(
            "busy",
            sock + [
                "-w", "%{http_code}", "-o", "/dev/null", "-X", "POST",
                "http://sprite/v1/tasks", "-d", "{\"name\":\"hold\",\"expire\":\"1h\"}",
            ])
        #expect(String(decoding: made.stdout, as: UTF8.self) == "201")
        let again = try api.run(
            "busy",
            sock + [
                "-w", "%{http_code}", "-o", "/dev/null", "-X", "POST",
                "http://sprite/v1/tasks", "-d", "{\"name\":\"hold\"}",
            ])
        #expect(String(decoding: again.stdout, as: UTF8.self) == "409")
        let list = try api.run("busy", sock + ["http://sprite/v1/tasks"])
        #expect(String(decoding: list.stdout, as: UTF8.self).contains("\"name\":\"hold\""))
        Thread.sleep(forTimeInterval: 2.5)
        #expect(status(api, "busy") == "running")
        #expect(try api.run("busy", sock + ["-X", "DELETE", "http://sprite/v1/tasks/hold"]).status == 0)
        #expect(eventually(seconds: 6) { status(api, "busy") == "warm" })
    }
}
