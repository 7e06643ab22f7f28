import Crypto
import FleetCore
import Foundation

/// Paging cursors that carry an article id (the cards list's `cursor.nmID` is the last card of the page) cannot go to
/// the browser as they are — the id may be of an unassigned article — nor be dropped, or paging breaks. They are
/// sealed instead: ChaCha20-Poly1305 over the id, as `nmc:<base64url>`, opaque to the browser, and opened again when
/// the browser sends the cursor back for the next page.
struct CursorSeal: Sendable {
    static let prefix = "nmc:"
    let key: SymmetricKey

    /// A seal with a 32-byte key (the proxy's, shared by its replicas).
    init(key: [UInt8]) {
        precondition(key.count == 32, "a cursor seal key is 32 bytes")
        self.key = SymmetricKey(data: key)
    }

    func seal(_ id: Int64) -> String {
        var value = id.bigEndian
        let plain = withUnsafeBytes(of: &value) { Data($0) }
        // Sealing 8 bytes with a fresh random nonce cannot fail.
        let box = try! ChaChaPoly.seal(plain, using: key)
        return Self.prefix + Base64URL.encode(box.combined)
    }

    /// The id in a sealed cursor; nil for anything this key did not seal.
    func open(_ token: String) -> Int64? {
        guard token.hasPrefix(Self.prefix), let bytes = Base64URL.decode(token.dropFirst(Self.prefix.count)),
            let box = try? ChaChaPoly.SealedBox(combined: bytes), let plain = try? ChaChaPoly.open(box, using: key), plain.count == 8
        else { return nil }
        return plain.reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    static func isSealed(_ node: JSONNode) -> Bool {
        if case .string(let text) = node { return text.hasPrefix(prefix) }
        return false
    }
}
