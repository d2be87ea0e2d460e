/// RFC 6455 section 5.3 masking, shared by the client's frames and the host's reading of them:
/// byte `i` of a payload is XORed with byte `i mod 4` of the key, eight bytes at a time here
/// (a byte-by-byte loop was a quarter of the host's time while a pack streamed in).
public enum WebSocketMasking {
    /// XORs `bytes` with `key`, starting at the key's first byte; a key that is not four bytes
    /// leaves them as they are.
    public static func apply(_ bytes: UnsafeMutableRawBufferPointer, key: some Collection<UInt8>) {
        guard let base = bytes.baseAddress, key.count == 4 else { return }
        let k = Array(key)
        var key32: UInt32 = 0
        withUnsafeMutableBytes(of: &key32) { $0.copyBytes(from: k) }
        // the key twice over, in memory order whatever the byte order
        let key64 = UInt64(key32) | UInt64(key32) << 32
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            let word = (base + i).loadUnaligned(as: UInt64.self)
            (base + i).storeBytes(of: word ^ key64, as: UInt64.self)
            i += 8
        }
        while i < n {
            bytes[i] ^= k[i & 3]
            i += 1
        }
    }
}
