import Foundation

/// A small deterministic fuzzer: seeds from `Fuzz/Corpus/<target>/`, mutated by a seeded
/// generator, so a failure reproduces with the same seed and iteration. A trap ends the test
/// process (which CI reports); a broken property is an issue naming the input.
///
/// `GIT_SPRITE_FUZZ_ITERATIONS` sets the executions per target (CI: the default);
/// `GIT_SPRITE_FUZZ_SEED` another seed, for a longer hunt. An input that found a bug goes into
/// the corpus, so every later run tries it first.
struct Fuzzer {
    static let iterations = Int(ProcessInfo.processInfo.environment["GIT_SPRITE_FUZZ_ITERATIONS"] ?? "") ?? 5000
    static let baseSeed =
        UInt64(ProcessInfo.processInfo.environment["GIT_SPRITE_FUZZ_SEED"] ?? "") ?? 0x6769_7473_7072_6974

    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
        .path

    /// The seed inputs of `target`, sorted by file name.
    static func corpus(_ target: String) -> [[UInt8]] {
        let dir = corpusRoot + "/" + target
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        return names.compactMap { FileManager.default.contents(atPath: dir + "/" + $0).map { [UInt8]($0) } }
    }

    var rng: SplitMix64
    let seeds: [[UInt8]]
    /// Tokens worth inserting: structure of the formats under test.
    let dictionary: [[UInt8]]

    init(target: String, dictionary: [String] = []) {
        var h: UInt64 = 1469598103934665603
        for b in target.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        rng = SplitMix64(seed: Self.baseSeed ^ h)
        seeds = Self.corpus(target)
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// The seeds first, then `iterations` mutants; `body` gets each input and its number.
    mutating func run(_ body: ([UInt8], Int) throws -> Void) rethrows -> Int {
        var n = 0
        for seed in seeds {
            try body(seed, n)
            n += 1
        }
        guard !seeds.isEmpty else { return n }
        for _ in 0..<Self.iterations {
            let input = mutate(seeds[Int(rng.next() % UInt64(seeds.count))])
            try body(input, n)
            n += 1
        }
        return n
    }

    /// One to four mutations of `input`.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var out = input
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let at = out.isEmpty ? 0 : Int(rng.next() % UInt64(out.count + 1))
            switch rng.next() % 9 {
            case 0 where !out.isEmpty:  // flip a bit
                let i = min(at, out.count - 1)
                out[i] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !out.isEmpty:  // a random byte
                out[min(at, out.count - 1)] = UInt8(truncatingIfNeeded: rng.next())
            case 2:  // insert random bytes
                let n = 1 + Int(rng.next() % 8)
                out.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 3 where !out.isEmpty:  // delete a range
                let n = 1 + Int(rng.next() % UInt64(min(16, out.count)))
                out.removeSubrange(min(at, out.count - n)..<(min(at, out.count - n) + n))
            case 4 where !out.isEmpty:  // duplicate a range
                let start = Int(rng.next() % UInt64(out.count))
                let n = 1 + Int(rng.next() % UInt64(min(64, out.count - start)))
                out.insert(contentsOf: out[start..<(start + n)], at: at)
            case 5:  // splice with another seed
                if let other = seeds.randomElement(using: &rng), !other.isEmpty {
                    let cut = Int(rng.next() % UInt64(other.count))
                    out = Array(out[..<at]) + Array(other[cut...])
                }
            case 6 where !dictionary.isEmpty:  // a token of the format
                out.insert(contentsOf: dictionary[Int(rng.next() % UInt64(dictionary.count))], at: at)
            case 7:  // truncate
                out = Array(out[..<at])
            default:  // an interesting byte
                let interesting: [UInt8] = [0, 0x7f, 0x80, 0xff, 0x0a, 0x22, 0x5c, 0x7e, 126, 127]
                out.insert(interesting[Int(rng.next() % UInt64(interesting.count))], at: at)
            }
        }
        return out
    }

    /// Random text: ASCII, control characters, and scalars from several planes.
    mutating func text(maxLength: Int) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int(rng.next() % UInt64(maxLength + 1)) {
            let pick = rng.next() % 10
            let value: UInt32
            switch pick {
            case 0...4: value = 0x20 + UInt32(rng.next() % 95)
            case 5: value = UInt32(rng.next() % 0x20)
            case 6: value = 0xa0 + UInt32(rng.next() % 0x700)
            case 7: value = 0x4e00 + UInt32(rng.next() % 0x5000)
            case 8: value = 0x1f300 + UInt32(rng.next() % 0x300)
            default: value = [0x2f, 0x2d, 0x2e, 0x5f, 0x40, 0x7b][Int(rng.next() % 6)]  // / - . _ @ {
            }
            if let scalar = Unicode.Scalar(value) { s.append(scalar) }
        }
        return String(s)
    }
}

/// SplitMix64: fast, seedable, good enough to drive mutations.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
