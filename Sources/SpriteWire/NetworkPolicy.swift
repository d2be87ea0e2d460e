/// A network policy rule: exactly one of `domain` and `include`.
public struct PolicyRule: Codable, Sendable, Equatable {
    public var domain: String?
    public var action: String?
    public var include: String?

    public init(domain: String? = nil, action: String? = nil, include: String? = nil) {
        (self.domain, self.action, self.include) = (domain, action, include)
    }
}

/// `GET` / `POST /v1/sprites/{name}/policy/network`. sprite-host adds what it enforces.
public struct PolicyDocument: Codable, Sendable, Equatable {
    public var rules: [PolicyRule]
    public var enforcement: String?

    public init(rules: [PolicyRule], enforcement: String? = nil) {
        (self.rules, self.enforcement) = (rules, enforcement)
    }
}
