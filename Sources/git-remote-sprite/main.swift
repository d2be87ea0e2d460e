import Foundation
import GitSpriteCore

// SIGTERM, SIGHUP and SIGQUIT end the helper by the signal, after what Ctrl-C does. Without a
// handler of ours, SIGQUIT went to the Swift runtime's backtracer, which hung in a futex with
// every signal blocked: `git push` died, and its helper lived on (found by a test that sends
// SIGQUIT to `up`, which passes it to the push's process group).
Termination.install()
// (and ends without the libraries' exit handlers, as git-sprite does: a thread still inside a
// request met OpenSSL's cleanup)
Termination.exit(RemoteHelper.main(arguments: CommandLine.arguments))
