import TestSupport
import Testing

@testable import GitSpriteCore

@Suite("remote URLs", .offThePool)
struct RemoteURLTests {
    /// A bad API address is shown in its error without what may be a secret: a user and
    /// password, and a query or fragment (`?token=…` was shown whole).
    @Test(arguments: [
        ("https://u:secretpw@h.example/x", "https://…@h.example/x"),
        ("https://h.example/?token=SECRET123", "https://h.example/?…"),
        ("https://h.example/x#access_token=SECRET", "https://h.example/x#…"),
        ("https://h.example/?a=b@c", "https://h.example/?…"),
        ("https://u:p@h.example:8443/?t=1", "https://…@h.example:8443/?…"),
        ("https://h.example/a@b", "https://h.example/a@b"),
        ("http+unix://%2Ftmp%2Fs", "http+unix://%2Ftmp%2Fs"),
    ])
    func anAPIAddressIsShownWithoutItsSecrets(given: String, shown: String) {
        #expect(APIURLText.withoutCredentials(given) == shown)
    }

    @Test(arguments: [
        ("https://user:token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://ghp_abc@github.com/a/b.git", "https://github.com/a/b.git"),
        ("http://u:p@host:8080/x", "http://host:8080/x"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("ssh://git:pw@host/x.git", "ssh://host/x.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("https://github.com/a/b@c.git", "https://github.com/a/b@c.git"),
    ])
    func credentialsAreRemoved(url: String, expected: String) {
        #expect(RemoteURL.redacted(url) == expected)
    }

    @Test(arguments: [
        ("../lib.git", "https://host/org/app.git", "https://host/org/lib.git"),
        ("./lib.git", "https://host/org/app.git", "https://host/org/app.git/lib.git"),
        ("../../other/lib.git", "https://host/org/app.git", "https://host/other/lib.git"),
        ("../lib.git", "git@host:org/app.git", "git@host:org/lib.git"),
        ("../lib.git", "git@host:app.git", "git@host:lib.git"),
        ("../lib.git", "/srv/git/app.git/", "/srv/git/lib.git"),
    ])
    func relativeSubmoduleURLsResolveLikeGit(relative: String, base: String, expected: String) {
        #expect(RemoteURL.resolve(relative, against: base) == expected)
    }

    @Test func localPathsAreRecognised() {
        #expect(RemoteURL.isLocal("/srv/x.git"))
        #expect(RemoteURL.isLocal("file:///srv/x.git"))
        #expect(RemoteURL.isLocal("../x.git"))
        #expect(RemoteURL.isLocal("some/dir"))
        #expect(!RemoteURL.isLocal("https://host/x.git"))
        #expect(!RemoteURL.isLocal("git@host:x.git"))
    }
}
