/// Sizes as a person reads them: `512 bytes`, `12 KB`, `56.2 MB`, `1.3 GB` (powers of 1024).
public enum ByteCountText {
    public static func text(_ bytes: Int) -> String {
        let b = Double(bytes)
        switch bytes {
        case ..<1024: return bytes == 1 ? "1 byte" : "\(bytes) bytes"
        case ..<(1 << 20): return "\(Int((b / 1024).rounded())) KB"
        case ..<(1 << 30): return String(format: "%.1f MB", b / Double(1 << 20))
        default: return String(format: "%.1f GB", b / Double(1 << 30))
        }
    }
}
