import Crypto
import FleetCore
import Foundation

/// The API's mark on every session row: an HMAC-SHA256 (keyed like the access tokens) over the session id, its user
/// and its current refresh hash. Refreshing checks it, so a row written or changed by anything but the API — SQL run
/// as `joycity_api`, say, inserting a session for an admin with a refresh token it chose — mints no token.
public struct SessionSeal: Sendable {
    let keys: [String: SymmetricKey]
    let activeKeyID: String

    /// Seals with `activeKeyID`; opens with any of `keys` (so a rotated key keeps its sessions until they refresh).
    public init(keys: [(id: String, secret: [UInt8])], activeKeyID: String) {
        self.keys = Dictionary(keys.map { ($0.id, SymmetricKey(data: $0.secret)) }, uniquingKeysWith: { first, _ in first })
        self.activeKeyID = activeKeyID
    }

    /// The MAC of a session in its current state, with the id of the key that made it.
    func seal(sessionID: UUID, userID: Int64, refreshHash: [UInt8]) -> (mac: [UInt8], keyID: String) {
        (Array(mac(keys[activeKeyID] ?? SymmetricKey(size: .bits256), sessionID, userID, refreshHash)), activeKeyID)
    }

    /// Whether `mac` (made with `keyID`) is the API's mark of this session in this state.
    func verifies(_ mac: [UInt8]?, keyID: String?, sessionID: UUID, userID: Int64, refreshHash: [UInt8]) -> Bool {
        guard let mac, let keyID, let key = keys[keyID] else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(sessionID, userID, refreshHash), using: key)
    }

    private func mac(_ key: SymmetricKey, _ sessionID: UUID, _ userID: Int64, _ refreshHash: [UInt8]) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: Self.message(sessionID, userID, refreshHash), using: key)
    }

    static func message(_ sessionID: UUID, _ userID: Int64, _ refreshHash: [UInt8]) -> Data {
        Data("joycity-session-v1|\(sessionID.uuidString.lowercased())|\(userID)|\(Hex.lowercase(refreshHash))".utf8)
    }
}
