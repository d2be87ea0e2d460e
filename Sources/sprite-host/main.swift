import Foundation

// The local Sprites-compatible host lands with the API client.
FileHandle.standardError.write(Data("sprite-host: not yet implemented\n".utf8))
exit(1)
