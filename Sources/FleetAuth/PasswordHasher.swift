import HummingbirdBcrypt
import NIOPosix

/// bcrypt on NIO's blocking thread pool (a hash costs ≈ 0.25 s at cost 12; it must not hold one of the two
/// cooperative threads this machine has).
public struct PasswordHasher: Sendable {
    public let cost: Int
    /// A hash of nothing anyone knows, verified against when the login is unknown so that both cases take as long.
    let decoy: String

    public init(cost: Int) {
        self.cost = cost
        decoy = Bcrypt.hash("decoy-\(UInt64.random(in: .min ... .max))", cost: UInt8(cost))
    }

    /// The bcrypt hash of `password`.
    public func hash(_ password: String) async throws -> String {
        try await Self.hash(password, cost: cost)
    }

    /// The bcrypt hash of `password` at `cost`, without making a hasher (whose decoy costs a hash of its own):
    /// `joycity users create-admin`, tests.
    public static func hash(_ password: String, cost: Int) async throws -> String {
        let cost = UInt8(cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash` (`nil`: checks against the decoy and returns false).
    public func verify(_ password: String, hash: String?) async throws -> Bool {
        let target = hash ?? decoy
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return hash != nil && matches
    }

    /// Checks a new password: at least 10 characters, at most 72 bytes (bcrypt reads no further: longer ones are
    /// refused, not cut), not only spaces.
    /// - Throws: ``AuthError`` (invalidInput; the API answers 400) saying what is wrong.
    public static func validate(_ password: String) throws {
        let bytes = password.utf8.count
        // Characters, not bytes: "😀😀😀" is three characters (and twelve bytes).
        guard password.count >= 10 else { throw AuthError(.invalidInput, "a password needs at least 10 characters") }
        guard bytes <= 72 else { throw AuthError(.invalidInput, "a password may be at most 72 bytes (bcrypt ignores the rest)") }
        guard password.contains(where: { !$0.isWhitespace }) else { throw AuthError(.invalidInput, "a password cannot be only spaces") }
        guard !password.utf8.contains(0) else { throw AuthError(.invalidInput, "a password cannot contain NUL characters") }
    }
}
