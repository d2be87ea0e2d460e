import Foundation
import SpriteHTTP
import Testing

/// The digests against published vectors: FIPS 180-4's examples (as NIST publishes them) and
/// the handshake of RFC 6455 §1.3.
@Suite("digests")
struct DigestTests {
    static let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)

    @Test func sha1MatchesFIPSVectors() {
        #expect(Digest.hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Digest.hex(Digest.sha1([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(Digest.hex(Digest.sha1(Self.long)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(
            Digest.hex(Digest.sha1([UInt8](repeating: 0x61, count: 1_000_000)))
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func sha256MatchesFIPSVectors() {
        #expect(
            Digest.hex(Digest.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256Prefix("", digits: 8) == "e3b0c442")
        #expect(
            Digest.hex(Digest.sha256(Self.long))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Digest.hex(Digest.sha256([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 6455 §1.3: the key "dGhlIHNhbXBsZSBub25jZQ==" is answered with
    /// "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    @Test func theWebSocketHandshakeExampleOfRFC6455() {
        let accept = Data(Digest.sha1(Array("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)))
        #expect(accept.base64EncodedString() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
