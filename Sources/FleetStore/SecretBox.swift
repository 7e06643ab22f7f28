import Crypto
import FleetCore
import Foundation

/// Seals secrets (WB API tokens, portal credentials) with AES-256-GCM before they reach PostgreSQL.
///
/// Every sealed value is stored with the id of the key that sealed it, so keys can rotate: add a new key, make it
/// active, run `joycity accounts rotate-keys`, then drop the old one.
///
/// - Configuration keys (environment):
///   - `JOYCITY_SECRET_KEYS` (required to store or read tokens): comma-separated `id:base64` pairs, each key 32
///     random bytes (`openssl rand -base64 32`), e.g. `k2026a:3q2+7w…=,k2025b:…`.
///   - `JOYCITY_SECRET_KEY_ID` (default: the first id in `JOYCITY_SECRET_KEYS`): the key new secrets are sealed with.
public struct SecretBox: Sendable {
    /// A sealed value and the id of its key.
    public struct Sealed: Sendable, Equatable {
        /// Nonce, ciphertext and tag (AES-GCM combined form).
        public var ciphertext: [UInt8]
        /// The id of the key that sealed it.
        public var keyID: String

        public init(ciphertext: [UInt8], keyID: String) {
            self.ciphertext = ciphertext
            self.keyID = keyID
        }
    }

    private let keys: [String: SymmetricKey]
    /// The id of the key new secrets are sealed with (nil when no key is configured).
    public let activeKeyID: String?

    /// A box with explicit keys (`id` → 32 bytes).
    /// - Throws: ``StoreError`` `invalidInput` for a key that is not 32 bytes or an active id that is not among them.
    public init(keys: [(id: String, key: [UInt8])], activeKeyID: String? = nil) throws {
        var map: [String: SymmetricKey] = [:]
        for (id, key) in keys {
            guard key.count == 32 else {
                throw StoreError(.invalidInput, "secret key '\(id)' is \(key.count) bytes; AES-256 needs 32 (openssl rand -base64 32)")
            }
            map[id] = SymmetricKey(data: key)
        }
        let active = activeKeyID ?? keys.first?.id
        if let active, map[active] == nil { throw StoreError(.invalidInput, "the active secret key '\(active)' is not among the configured keys") }
        self.keys = map
        self.activeKeyID = active
    }

    /// Reads `JOYCITY_SECRET_KEYS` and `JOYCITY_SECRET_KEY_ID`. With no keys set, the box exists but cannot seal or
    /// open (each call says to set the variable), so commands that never touch secrets still run.
    /// - Throws: ``ConfigurationError`` naming the variable for malformed keys.
    public init(environment: EnvironmentReader) throws {
        let parsed =
            try environment.keyList(
                "JOYCITY_SECRET_KEYS",
                accepts: { $0 == 32 },
                expected: "comma-separated id:base64 pairs of 32-byte keys (openssl rand -base64 32)"
            ) ?? []
        let active = environment.string("JOYCITY_SECRET_KEY_ID")
        if let active, !parsed.contains(where: { $0.id == active }) {
            throw ConfigurationError(variable: "JOYCITY_SECRET_KEY_ID", value: active, expected: "one of the ids in JOYCITY_SECRET_KEYS")
        }
        try self.init(keys: parsed, activeKeyID: active)
    }

    /// Seals `plaintext` with the active key.
    /// - Throws: ``StoreError`` `secretKeyMissing` when no key is configured.
    public func seal(_ plaintext: String) throws -> Sealed {
        guard let id = activeKeyID, let key = keys[id] else {
            throw StoreError(
                .secretKeyMissing,
                "no encryption key is configured: set JOYCITY_SECRET_KEYS=id:$(openssl rand -base64 32) to store tokens"
            )
        }
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw StoreError(.secretUndecryptable, "AES-GCM produced no combined form") }
        return Sealed(ciphertext: [UInt8](combined), keyID: id)
    }

    /// Opens a sealed value with the key it names.
    /// - Throws: ``StoreError`` `secretKeyMissing` when that key is not configured; `secretUndecryptable` when it
    ///   does not authenticate.
    public func open(_ sealed: Sealed) throws -> String {
        guard let key = keys[sealed.keyID] else {
            throw StoreError(
                .secretKeyMissing,
                "the secret was sealed with key '\(sealed.keyID)', which is not in JOYCITY_SECRET_KEYS; add it back (rotate with `joycity accounts rotate-keys` before removing a key)"
            )
        }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(sealed.ciphertext))
            let data = try AES.GCM.open(box, using: key)
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw StoreError(
                .secretUndecryptable,
                "the secret sealed with key '\(sealed.keyID)' does not decrypt: the key material differs from the one that sealed it, or the row was altered",
                underlying: error
            )
        }
    }

    /// Whether a key with this id is configured.
    public func hasKey(_ id: String) -> Bool { keys[id] != nil }
}
