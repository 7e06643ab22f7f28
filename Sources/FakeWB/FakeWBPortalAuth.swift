import FleetCore
import Foundation

/// The portal's login state as WB keeps it (../shared/wb/WB-API.md §4.2), one session per device
/// (`wbx-seller-device-id`):
/// - `slide-v3` takes the cookies `wbx-refresh` and `wbx-seller-device-id` and answers a new access JWT and a
///   sticker, with `Set-Cookie` for a new `wbx-refresh` and `wbx-validation-key`; the old refresh cookie is spent at
///   once (a second slide with it is refused), the access token works only after `slide-v3-confirm` with the sticker;
/// - the access JWT has no `exp` and is accepted for `accessLifetime` from its issue (WB's clients refresh by age);
/// - the LK token (`auth/token`, JSON-RPC) lives `lkLifetime` (WB: 300 s) and is sent as `wb-seller-lk`;
/// - a data request needs the session's `wbx-validation-key` cookie, a live `authorizev3` and a live `wb-seller-lk`
///   of the same session; anything else is 401, as WB answers an expired session.
/// A device seen for the first time logs in with the seed refresh cookie (what an admin pastes from a browser).
struct FakePortalAuth: Sendable {
    struct Session: Sendable {
        var refresh: String
        var validationKey: String
        var previousValidationKey: String?
        var ended = false
    }

    enum Check: Equatable {
        case ok
        case unauthorized(String)
    }

    let seedRefresh: String
    let accessLifetime: Duration
    let lkLifetime: Duration
    private(set) var sessions: [String: Session] = [:]
    private var access: [String: (device: String, issued: ContinuousClock.Instant, confirmed: Bool)] = [:]
    private var stickers: [String: String] = [:]
    private var lk: [String: (device: String, expires: ContinuousClock.Instant)] = [:]
    /// Every cookie value and token handed out (none may ever reach a browser behind a proxy).
    private(set) var issued: [String] = []
    private(set) var slides = 0
    private(set) var lkIssued = 0

    init(seedRefresh: String, accessLifetime: Duration, lkLifetime: Duration) {
        self.seedRefresh = seedRefresh
        self.accessLifetime = accessLifetime
        self.lkLifetime = lkLifetime
    }

    /// `slide-v3`: (access token, sticker, new refresh, new validation key) or why not.
    mutating func slide(refresh: String?, device: String?) -> Result<(String, String, String, String), Failure> {
        guard let refresh, let device, !device.isEmpty else { return .failure(.init("wbx-refresh and wbx-seller-device-id are required")) }
        var session: Session
        if let known = sessions[device] {
            guard !known.ended else { return .failure(.init("the session has ended; log in again")) }
            guard known.refresh == refresh else { return .failure(.init("the refresh cookie was already used")) }
            session = known
        } else {
            guard refresh == seedRefresh else { return .failure(.init("unknown refresh cookie")) }
            session = Session(refresh: refresh, validationKey: "")
        }
        slides += 1
        session.refresh = "r-" + Self.random()
        session.previousValidationKey = session.validationKey.isEmpty ? nil : session.validationKey
        session.validationKey = "vk-" + Self.random()
        sessions[device] = session
        let token = Self.jwt([
            "iat": Int(Date().timeIntervalSince1970), "version": 2, "user": "26949727", "client_id": "seller-portal", "session_id": device,
        ])
        let sticker = "st-" + Self.random()
        access[token] = (device, .now, false)
        stickers[sticker] = token
        issued += [token, sticker, session.refresh, session.validationKey]
        return .success((token, sticker, session.refresh, session.validationKey))
    }

    /// `slide-v3-confirm`: the sticker's access token starts to work.
    mutating func confirm(sticker: String?) -> Bool {
        guard let sticker, let token = stickers.removeValue(forKey: sticker), var entry = access[token] else { return false }
        entry.confirmed = true
        access[token] = entry
        return true
    }

    /// `auth/token`: a new LK token and its `exp` (Unix seconds), for a live access token and its session's cookie.
    mutating func issueLK(accessToken: String?, cookies: [String: String]) -> Result<(String, Int), Failure> {
        guard case .success(let device) = session(accessToken: accessToken, cookies: cookies) else {
            return .failure(.init("the access token or the session cookie is not valid"))
        }
        lkIssued += 1
        let expires = Int(Date().timeIntervalSince1970) + Int(lkLifetime.components.seconds)
        let token = Self.jwt(["data": ["Z-Sid": FakeWBPortal.supplierID, "Z-Sccode": "ru", "Z-Scurr": "RUB"], "iat": expires - 300, "exp": expires])
        lk[token] = (device, .now + lkLifetime)
        issued.append(token)
        return .success((token, expires))
    }

    /// A data request: the session cookie, a live `authorizev3` and a live `wb-seller-lk`, all of one session.
    func check(accessToken: String?, lkToken: String?, cookies: [String: String]) -> Check {
        switch session(accessToken: accessToken, cookies: cookies) {
        case .failure(let failure): return .unauthorized(failure.reason)
        case .success(let device):
            guard let lkToken, let entry = lk[lkToken], entry.device == device else { return .unauthorized("wb-seller-lk missing or unknown") }
            guard entry.expires > .now else { return .unauthorized("wb-seller-lk expired") }
            return .ok
        }
    }

    /// The session the access token and the validation cookie both belong to.
    func session(accessToken: String?, cookies: [String: String]) -> Result<String, Failure> {
        guard let accessToken, let entry = access[accessToken], entry.confirmed else { return .failure(.init("authorizev3 missing or unknown")) }
        guard ContinuousClock.now - entry.issued < accessLifetime else { return .failure(.init("authorizev3 too old")) }
        guard let session = sessions[entry.device], !session.ended else { return .failure(.init("the session has ended")) }
        let key = cookies["wbx-validation-key"]
        guard key == session.validationKey || (key != nil && key == session.previousValidationKey) else {
            return .failure(.init("wbx-validation-key missing or stale"))
        }
        return .success(entry.device)
    }

    /// Ends every session (as WB does after suspicious activity): every token and refresh cookie stops working.
    mutating func endAll() {
        for device in sessions.keys { sessions[device]?.ended = true }
        access = [:]
        lk = [:]
    }

    struct Failure: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func random() -> String { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    /// A JWT-shaped token (header, claims, a random signature: the fake recognises its tokens by keeping them).
    static func jwt(_ claims: [String: Any]) -> String {
        let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let body = Base64URL.encode((try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
        return header + "." + body + "." + Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
    }
}
