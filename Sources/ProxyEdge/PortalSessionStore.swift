import FleetCore
import FleetStore
import Foundation
import Queue
import Synchronization

/// Where every replica keeps the accounts' WB portal sessions: a Redis hash per account
/// (``AccountStore/portalSessionKey(prefix:account:)``) holding the session sealed with the fleet's secret keys
/// (`JOYCITY_SECRET_KEYS`) and a version that changes on every write. Writes are compare-and-set on the version, so
/// a cookie WB rotates on one replica is never lost to a refresh on another; a refresh holds a lock of its own, so it
/// happens once across replicas.
struct PortalSessionStore: Sendable {
    /// A session and the version it was read at ("" when none is stored).
    struct Snapshot: Sendable {
        var session: PortalSession?
        var version: String
    }

    let redis: RedisClient
    let prefix: String
    let secrets: SecretBox
    /// How long an unused session stays (every write restarts it).
    let retention: Duration = .seconds(30 * 86_400)
    /// The last session opened per account, by its sealed text: the same text is not opened again.
    let opened = OpenedSessions()

    func key(_ account: Int64) -> String { AccountStore.portalSessionKey(prefix: prefix, account: account) }

    /// The stored session.
    /// - Throws: Redis errors; a session that cannot be opened reads as none (it is rebuilt from the credentials).
    func read(_ account: Int64) async throws -> Snapshot {
        let reply = try await redis.send(RedisCommand("HMGET", key(account), "v", "s")).throwingError()
        guard let values = reply.array, values.count == 2, let version = values[0].string, let sealed = values[1].string else {
            return Snapshot(session: nil, version: "")
        }
        if let session = opened.session(account, sealed: sealed) { return Snapshot(session: session, version: version) }
        let session = open(sealed)
        if let session { opened.keep(account, sealed: sealed, session) }
        return Snapshot(session: session, version: version)
    }

    /// Writes `session` if the stored version is still `expected`; returns the new version, or nil when another
    /// write came first (read again and redo the change).
    func write(_ account: Int64, _ session: PortalSession, expected: String) async throws -> String? {
        let version = UUID().uuidString
        let reply = try await redis.evaluate(
            Self.compareAndSet,
            keys: [key(account)],
            arguments: [expected, version, try seal(session), String(retention.milliseconds)]
        ).throwingError()
        return reply.int == 1 ? version : nil
    }

    /// Applies `change` to the stored session with compare-and-set, retrying on a concurrent write.
    /// - Returns: the session written, or nil when none is stored (nothing to change).
    func update(_ account: Int64, _ change: (inout PortalSession) -> Void) async throws -> Snapshot? {
        for _ in 0..<8 {
            let snapshot = try await read(account)
            guard var session = snapshot.session else { return nil }
            change(&session)
            if let version = try await write(account, session, expected: snapshot.version) { return Snapshot(session: session, version: version) }
        }
        throw RedisError(.serverError, "the portal session of account \(account) kept changing under eight writes")
    }

    /// Takes the account's refresh lock; nil when another replica holds it.
    func lock(_ account: Int64, for duration: Duration) async throws -> String? {
        let token = UUID().uuidString
        let reply = try await redis.send(RedisCommand("SET", key(account) + ":lock", token, "NX", "PX", String(duration.milliseconds)))
            .throwingError()
        return reply.isNull ? nil : token
    }

    /// Whether some replica holds the lock.
    func isLocked(_ account: Int64) async throws -> Bool {
        try await redis.send(RedisCommand("EXISTS", key(account) + ":lock")).throwingError().int == 1
    }

    /// Releases the lock if it is still `token`'s.
    func unlock(_ account: Int64, _ token: String) async {
        _ = try? await redis.evaluate(Self.compareAndDelete, keys: [key(account) + ":lock"], arguments: [token])
    }

    func seal(_ session: PortalSession) throws -> String {
        let sealed = try secrets.seal(try JSONCoding.encode(session))
        return sealed.keyID + ":" + Data(sealed.ciphertext).base64EncodedString()
    }

    func open(_ text: String) -> PortalSession? {
        guard let colon = text.firstIndex(of: ":"), let data = Data(base64Encoded: String(text[text.index(after: colon)...])),
            let json = try? secrets.open(.init(ciphertext: Array(data), keyID: String(text[..<colon])))
        else { return nil }
        return try? JSONCoding.decode(PortalSession.self, from: json)
    }

    static let compareAndSet = RedisScript(
        """
        if (redis.call('HGET', KEYS[1], 'v') or '') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """
    )

    static let compareAndDelete = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
    )
}

/// Sessions already opened, by account and sealed text (a changed session has a new text: sealing uses a new nonce).
final class OpenedSessions: Sendable {
    private let entries = Mutex<[Int64: (sealed: String, session: PortalSession)]>([:])

    func session(_ account: Int64, sealed: String) -> PortalSession? {
        entries.withLock { entries in entries[account].flatMap { $0.sealed == sealed ? $0.session : nil } }
    }

    func keep(_ account: Int64, sealed: String, _ session: PortalSession) {
        entries.withLock { $0[account] = (sealed, session) }
    }
}
