import Testing

@testable import GitSpriteCore

/// Which git commands Ctrl-C stops: the transfers, which can take minutes; every other local
/// git command git-sprite runs is left to finish, so none leaves a lock behind
/// (`runAsChild(leftAlone:)`; end to end: `ctrlCDuringARefUpdateLetsItFinishAndLeavesNoLock`).
@Suite("local git commands")
struct LocalGitTests {
    @Test(arguments: [
        (["push", "-q", "--porcelain", "--atomic", "sprite::x"], true),
        (["-c", "core.logAllRefUpdates=always", "fetch", "-q", "sprite::x"], true),
        (["-C", "/repo", "--git-dir", "/repo/.git", "fetch"], true),
        (["-c", "core.logAllRefUpdates=always", "update-ref", "-m", "push", "refs/x", "HEAD"], false),
        (["update-ref", "-m", "git sprite up", "refs/sprite/a/shipped", "HEAD"], false),
        (["apply", "push.patch"], false),
        (["add", "-A", "--", "fetch"], false),
        (["-c", "push"], false),
        ([], false),
    ])
    func onlyPushAndFetchAreInterrupted(args: [String], transfers: Bool) {
        #expect(LocalGit.transfers(args) == transfers)
    }
}
