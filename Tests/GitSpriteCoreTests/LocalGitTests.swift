import Testing

@testable import GitSpriteCore

/// Which git commands Ctrl-C leaves to finish: those that write a ref or the work tree in one
/// short step, so none leaves its lock behind; every other one stops with us
/// (`SpawnedChild.start(leftAlone:)`; end to end: `ctrlCDuringARefUpdateLetsItFinishAndLeavesNoLock`).
@Suite("local git commands")
struct LocalGitTests {
    @Test(arguments: [
        (["-c", "core.logAllRefUpdates=always", "update-ref", "-m", "push", "refs/x", "HEAD"], true),
        (["update-ref", "-m", "git sprite up", "refs/sprite/a/shipped", "HEAD"], true),
        (["-C", "/repo", "--git-dir", "/repo/.git", "update-ref", "-d", "refs/x"], true),
        (["apply", "push.patch"], true),
        (["apply", "--check", "push.patch"], false),
        (["push", "-q", "--porcelain", "--atomic", "sprite::x"], false),
        (["-c", "core.logAllRefUpdates=always", "fetch", "-q", "sprite::x"], false),
        (["add", "-A", "--", "update-ref"], false),
        (["log", "-S", "update-ref"], false),
        (["-c", "update-ref"], false),
        ([], false),
    ])
    func onlyRefAndWorkTreeWritesAreLeftToFinish(args: [String], alone: Bool) {
        #expect(LocalGit.finishesAlone(args) == alone)
    }
}
