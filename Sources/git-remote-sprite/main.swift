import Foundation

// The git remote helper lands with `git sprite up` (tunnel transport).
FileHandle.standardError.write(Data("git-remote-sprite: not yet implemented\n".utf8))
exit(1)
