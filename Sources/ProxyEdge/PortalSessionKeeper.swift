import AsyncHTTPClient
import FleetCore
import FleetStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Keeps each account's WB portal session usable (../shared/wb/WB-API.md §4.2): the access JWT refreshed through
/// `slide-v3` (and confirmed with its sticker) before it reaches `PROXY_WB_REFRESH_AGE` (it has no `exp`), the LK
/// token renewed `PROXY_WB_LK_MARGIN` before its 300 s end, once across replicas (a Redis lock; the others wait and
/// use the result). WB refusing a refresh marks the session invalid — in Redis, so no replica calls WB with it again,
/// and in PostgreSQL, where the API and the UI show it — until an admin stores new credentials.
struct PortalSessionKeeper: Sendable {
    let store: PortalSessionStore
    let accounts: AccountStore
    let http: HTTPClient
    let configuration: ProxyConfiguration
    let logger: Logger
    /// Sessions this replica used in the last second.
    let recent = RecentSessions(lifetime: .seconds(1))

    static let authHost = "seller-auth.wildberries.ru"
    static let shellHost = "seller.wildberries.ru"

    /// A session fit to send now.
    /// - Throws: ``PortalSessionError``; Redis and PostgreSQL errors.
    func session(_ account: Int64) async throws -> PortalSession {
        // What this replica used within the last second, while it needs no renewal: no Redis round trip. A renewal
        // elsewhere shows here within that second (the old tokens stay good meanwhile: WB accepts them by age).
        if let recent = recent.session(account), recent.invalid == nil, !needs(recent, replacing: nil).any { return recent }
        let session = try await ensure(account, replacing: nil)
        recent.keep(account, session)
        return session
    }

    /// After WB answered 401/403 to a request sent with `used`: new tokens, once across replicas (a replica that finds
    /// the token already replaced uses the new one).
    func renew(_ account: Int64, after used: PortalSession) async throws -> PortalSession {
        recent.forget(account)
        let session = try await ensure(account, replacing: used.accessToken ?? "")
        recent.keep(account, session)
        return session
    }

    /// Takes in the cookies WB set on an answer (the anti-bot cookie rotates, say); kept, never passed on.
    func absorb(_ account: Int64, setCookies: [String], host: String) async {
        guard !setCookies.isEmpty else { return }
        do {
            _ = try await store.update(account) { $0.absorb(setCookies: setCookies, host: host) }
        } catch {
            logger.warning("could not keep WB's cookies", metadata: ["account": "\(account)", "error": "\(error)"])
        }
    }

    /// Marks the session invalid everywhere (Redis for every replica, PostgreSQL for the API and UI).
    func markInvalid(_ account: Int64, _ reason: String) async {
        recent.forget(account)
        logger.warning("WB refused the portal session", metadata: ["account": "\(account)", "reason": "\(reason)"])
        _ = try? await store.update(account) { $0.invalid = reason }
        do {
            try await accounts.setPortalSessionState(id: account, valid: false, reason: reason)
        } catch {
            logger.error("could not record the invalid portal session", metadata: ["account": "\(account)", "error": "\(error)"])
        }
    }

    /// What a request to `host` must carry: WB's cookies for the host, `authorizev3`, `wb-seller-lk`, and the
    /// selected supplier (`x-supplierid` on cmp).
    static func authorize(_ request: inout HTTPClientRequest, session: PortalSession, host: String) {
        let cookies = session.cookieHeader(host: host)
        if !cookies.isEmpty { request.headers.replaceOrAdd(name: "Cookie", value: cookies) }
        if let access = session.accessToken { request.headers.replaceOrAdd(name: "authorizev3", value: access) }
        if let lk = session.lkToken { request.headers.replaceOrAdd(name: "wb-seller-lk", value: lk) }
        if let supplier = session.supplierID {
            request.headers.replaceOrAdd(name: host.hasPrefix("cmp.") ? "x-supplierid" : "x-supplier-id-external", value: supplier)
        }
    }

    struct Needs {
        var slide: Bool
        var lk: Bool
        var any: Bool { slide || lk }
    }

    func needs(_ session: PortalSession, replacing stale: String?) -> Needs {
        let now = Date().timeIntervalSince1970
        let age = now - (session.accessIssuedAt ?? 0)
        let slide =
            session.accessToken == nil || age >= Double(configuration.sessionRefreshAge.milliseconds) / 1000
            || (stale != nil && (session.accessToken ?? "") == stale)
        let lk = slide || session.lkToken == nil || (session.lkExpiresAt ?? 0) - now < Double(configuration.lkMargin.milliseconds) / 1000
        return Needs(slide: slide, lk: lk)
    }

    func ensure(_ account: Int64, replacing stale: String?) async throws -> PortalSession {
        let deadline = ContinuousClock.now + configuration.sessionLockTTL
        while true {
            guard let session = try await loaded(account) else { throw PortalSessionError.missing }
            if let reason = session.invalid { throw PortalSessionError.invalid(reason) }
            if !needs(session, replacing: stale).any { return session }
            if let token = try await store.lock(account, for: configuration.sessionLockTTL) {
                do {
                    let renewed = try await renewHoldingLock(account, replacing: stale)
                    await store.unlock(account, token)
                    return renewed
                } catch {
                    await store.unlock(account, token)
                    throw error
                }
            }
            // Another replica renews the session: use what it writes.
            guard ContinuousClock.now < deadline else {
                throw PortalSessionError.unreachable("another replica's renewal did not finish within \(configuration.sessionLockTTL)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The stored session, or one built from the account's credentials when Redis has none yet.
    func loaded(_ account: Int64) async throws -> PortalSession? {
        let snapshot = try await store.read(account)
        if let session = snapshot.session { return session }
        guard let json = try await accounts.portalCredentials(id: account),
            let credentials = try? JSONCoding.decode(StoredPortalCredentials.self, from: json), let pasted = credentials.cookies
        else { return nil }
        let session = PortalSession(pastedCookies: pasted, accessToken: credentials.accessToken)
        guard !session.cookies.isEmpty else { return nil }
        if try await store.write(account, session, expected: "") == nil { return try await store.read(account).session }
        return session
    }

    /// Under the lock: read again (another replica may have renewed just before), then slide and/or renew the LK
    /// token, and store the result.
    func renewHoldingLock(_ account: Int64, replacing stale: String?) async throws -> PortalSession {
        guard var session = try await store.read(account).session else { throw PortalSessionError.missing }
        if let reason = session.invalid { throw PortalSessionError.invalid(reason) }
        let needs = needs(session, replacing: stale)
        guard needs.any else { return session }
        let refreshBefore = session.cookies.first { $0.name == "wbx-refresh" }?.value
        var slid = false
        var setCookies: [(String, [String])] = []
        do {
            if needs.slide {
                setCookies += try await slide(&session)
                slid = true
            }
            do {
                setCookies += try await issueLK(&session)
            } catch LKRefused.refused where !slid {
                // The access token is no longer accepted before its age says so: slide now.
                setCookies += try await slide(&session)
                slid = true
                setCookies += try await issueLK(&session)
            } catch LKRefused.refused {
                throw PortalSessionError.invalid("WB refused a new LK token right after slide-v3")
            }
        } catch PortalSessionError.invalid(let reason) {
            await markInvalid(account, reason)
            throw PortalSessionError.invalid(reason)
        }
        let result = session
        let written = try await store.update(account) { stored in
            for (host, lines) in setCookies { stored.absorb(setCookies: lines, host: host) }
            stored.accessToken = result.accessToken
            stored.accessIssuedAt = result.accessIssuedAt
            stored.lkToken = result.lkToken
            stored.lkExpiresAt = result.lkExpiresAt
        }
        if slid {
            let renewed = written?.session ?? result
            logger.info("renewed the WB portal session", metadata: ["account": "\(account)"])
            do {
                // The rotated cookies go back to the stored credentials too (a lost Redis does not lose the session),
                // unless an admin stored new ones meanwhile (they no longer name the refresh cookie slid with).
                if let spent = refreshBefore {
                    try await accounts.replacePortalSession(
                        id: account,
                        cookies: renewed.pastedCookies,
                        accessToken: renewed.accessToken,
                        ifCookiesContain: "wbx-refresh=\(spent)"
                    )
                }
                try await accounts.setPortalSessionState(id: account, valid: true, reason: nil)
            } catch {
                logger.warning("could not record the renewed portal session", metadata: ["account": "\(account)", "error": "\(error)"])
            }
        }
        return written?.session ?? result
    }

    enum LKRefused: Error { case refused }

    /// Checks credentials an admin is about to store against WB, for the API (nothing is stored here): a slide-v3
    /// with the refresh cookie when no access token is given (which rotates the cookies), then the portal's session
    /// check. Returns the credentials to store — the rotated cookies and the access token.
    /// - Throws: ``PortalSessionError`` `invalid` (WB refused them: say why) or `unreachable`.
    func validate(cookies pasted: String, accessToken: String?) async throws -> (cookies: String, accessToken: String) {
        var session = PortalSession(pastedCookies: pasted, accessToken: accessToken)
        guard !session.cookies.isEmpty else { throw PortalSessionError.invalid("no cookies were given (name=value; …)") }
        if session.accessToken == nil { _ = try await slide(&session) }
        var check = configuration.upstreamRequest(
            host: Self.shellHost,
            pathAndQuery: "/ns/passport-portal/suppliers-portal-ru/validate",
            method: .GET
        )
        Self.authorize(&check, session: session, host: Self.shellHost)
        let answer: HTTPClientResponse
        do {
            answer = try await http.execute(check, timeout: .nanoseconds(configuration.upstreamTimeout.nanoseconds))
            _ = try await answer.body.collect(upTo: 1 << 20)
        } catch {
            throw PortalSessionError.unreachable("the session check: \(error)")
        }
        if answer.status == .unauthorized || answer.status == .forbidden {
            throw PortalSessionError.invalid("WB's session check answered \(answer.status.code)")
        }
        guard answer.status == .ok, let token = session.accessToken else {
            throw PortalSessionError.unreachable("WB's session check answered \(answer.status.code)")
        }
        return (session.pastedCookies, token)
    }

    /// `slide-v3` with the refresh cookie, then `slide-v3-confirm` with the sticker; returns the cookies WB set.
    func slide(_ session: inout PortalSession) async throws -> [(String, [String])] {
        let slid = try await call(host: Self.authHost, path: "/auth/v2/auth/slide-v3", body: "{}", session: session, authorized: false)
        if slid.status == .unauthorized || slid.status == .forbidden {
            throw PortalSessionError.invalid("slide-v3 answered \(slid.status.code): the refresh cookie is no longer accepted")
        }
        guard slid.status == .ok, let payload = Self.object(slid.body)?["payload"] as? [String: Any],
            let token = payload["access_token"] as? String, !token.isEmpty, let sticker = payload["sticker"] as? String
        else { throw PortalSessionError.unreachable("slide-v3 answered \(slid.status.code) without an access token") }
        session.absorb(setCookies: slid.setCookies, host: Self.authHost)
        let confirmBody = String(decoding: try JSONSerialization.data(withJSONObject: ["sticker": sticker]), as: UTF8.self)
        let confirmed = try await call(
            host: Self.authHost,
            path: "/auth/v2/auth/slide-v3-confirm",
            body: confirmBody,
            session: session,
            authorized: false
        )
        guard confirmed.status == .ok else {
            throw PortalSessionError.unreachable("slide-v3-confirm answered \(confirmed.status.code)")
        }
        session.absorb(setCookies: confirmed.setCookies, host: Self.authHost)
        session.accessToken = token
        session.accessIssuedAt = Date().timeIntervalSince1970
        session.lkToken = nil
        return [(Self.authHost, slid.setCookies), (Self.authHost, confirmed.setCookies)]
    }

    /// A new LK token (`auth/token`, JSON-RPC); returns the cookies WB set.
    func issueLK(_ session: inout PortalSession) async throws -> [(String, [String])] {
        let answer = try await call(
            host: Self.shellHost,
            path: "/ns/suppliers-auth/suppliers-portal-core/auth/token",
            body: #"{"params":{},"jsonrpc":"2.0","id":"json-rpc_1"}"#,
            session: session,
            authorized: true
        )
        if answer.status == .unauthorized || answer.status == .forbidden { throw LKRefused.refused }
        guard answer.status == .ok, let result = Self.object(answer.body)?["result"] as? [String: Any],
            let data = result["data"] as? [String: Any], let token = data["token"] as? String, !token.isEmpty,
            let expires = (data["exp"] as? NSNumber)?.doubleValue
        else { throw PortalSessionError.unreachable("auth/token answered \(answer.status.code) without a token") }
        session.absorb(setCookies: answer.setCookies, host: Self.shellHost)
        session.lkToken = token
        session.lkExpiresAt = expires
        return [(Self.shellHost, answer.setCookies)]
    }

    struct Answer {
        var status: HTTPResponseStatus
        var setCookies: [String]
        var body: ByteBuffer
    }

    func call(host: String, path: String, body: String, session: PortalSession, authorized: Bool) async throws -> Answer {
        var request = configuration.upstreamRequest(host: host, pathAndQuery: path, method: .POST)
        var sent = session
        sent.lkToken = nil
        if !authorized { sent.accessToken = nil }
        Self.authorize(&request, session: sent, host: host)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(configuration.upstreamTimeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return Answer(status: response.status, setCookies: response.headers["Set-Cookie"], body: bytes)
        } catch {
            throw PortalSessionError.unreachable("\(host)\(path): \(error)")
        }
    }

    static func object(_ body: ByteBuffer) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
    }
}

/// The part of an account's stored portal credentials the proxy uses: the session cookies as copied from a browser
/// (`name=value; …`) and, optionally, the access token (`wb-eu-passport-v2.access-token` of its localStorage).
struct StoredPortalCredentials: Decodable {
    var cookies: String?
    var accessToken: String?
}

/// The sessions a replica used lately, each for `lifetime` after it was read from Redis.
final class RecentSessions: Sendable {
    let lifetime: Duration
    private let entries = Mutex<[Int64: (session: PortalSession, until: ContinuousClock.Instant)]>([:])

    init(lifetime: Duration) { self.lifetime = lifetime }

    func session(_ account: Int64) -> PortalSession? {
        let now = ContinuousClock.now
        return entries.withLock { entries in entries[account].flatMap { $0.until > now ? $0.session : nil } }
    }

    func keep(_ account: Int64, _ session: PortalSession) {
        let until = ContinuousClock.now + lifetime
        entries.withLock { $0[account] = (session, until) }
    }

    func forget(_ account: Int64) { _ = entries.withLock { $0.removeValue(forKey: account) } }
}
