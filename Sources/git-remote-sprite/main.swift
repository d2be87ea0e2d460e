import Foundation
import GitSpriteCore

exit(RemoteHelper.main(arguments: CommandLine.arguments))
