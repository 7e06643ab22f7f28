import AsyncHTTPClient
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Answers one browser request of the portal: who (the platform session cookie), which WB host (the host table),
/// whether the endpoint may pass at all (the endpoint table, deny by default), then the upstream call with the
/// account's WB session added server-side (``PortalSessionKeeper``), and the answer filtered to the user's articles or
/// URL-rewritten. WB's cookies and tokens never reach the browser; a body the filter cannot read is refused.
struct ProxyResponder: Sendable {
    let configuration: ProxyConfiguration
    let tokens: TokenIssuer
    let gate: SessionGate
    let keeper: PortalSessionKeeper
    let articles: ArticleCache
    let seal: CursorSeal
    let http: HTTPClient
    let metrics: ProxyMetrics
    let staticCache: StaticCache
    let balance: PortalBalance
    let logger: Logger

    static let accessCookie = "joycity_access"

    func respond(_ request: Request) async throws -> Response {
        let requestID = Self.requestID(request.headers[.xRequestID])
        var logger = logger
        logger[metadataKey: "request"] = "\(requestID)"
        var route = "unknown"
        var response = try await ProxyPages.$language.withValue(PreferredLanguage.from(acceptLanguage: request.headers[.acceptLanguage])) {
            try await answer(request, logger: logger, route: &route)
        }
        response.headers[.xRequestID] = requestID
        metrics.request(route: route, status: Int(response.status.code))
        return response
    }

    func answer(_ request: Request, logger: Logger, route: inout String) async throws -> Response {
        let path = request.uri.path
        if path == "/__joycity__/health" {
            route = "health"
            return ProxyPages.plain(.ok, "ok")
        }
        if path == "/__joycity__/validate", request.method == .post {
            route = "validate"
            return try await validate(request)
        }
        if path == PortalScript.path {
            route = "script"
            return Response(
                status: .ok,
                headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(string: PortalScript.source))
            )
        }
        if path.hasPrefix(URLRewriter.droppedPrefix + "/") {
            route = "dropped"
            return Response(status: .noContent)
        }

        // Who.
        guard let token = request.cookies[Self.accessCookie]?.value, let principal = try? await principal(token) else {
            metrics.denied("signin")
            if (request.headers[.accept] ?? "").contains("text/html") {
                // The whole address, so the sign-in page (another origin) can return here; it checks the origin.
                let next = Self.publicOrigin(request) + path + (request.uri.query.map { "?\($0)" } ?? "")
                let target = configuration.signInURL + "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
                return Response(status: .found, headers: [.location: target, .cacheControl: "no-store"])
            }
            return ProxyPages.page(.unauthorized, "Sign in to JoyCity first. / Сначала войдите в JoyCity.")
        }
        guard let account = principal.accountId else {
            metrics.denied("no_account")
            return ProxyPages.page(
                .forbidden,
                "You work in no seller account; ask an admin to place you in one. / Вы не привязаны к кабинету продавца; обратитесь к администратору."
            )
        }

        // Where, and whether at all.
        guard let upstream = PortalHosts.upstream(proxyPath: path) else {
            return ProxyPages.page(.notFound, "No WB host is served at \(path). / Такого адреса нет.")
        }
        route = upstream.host
        let method = request.method.rawValue
        guard let rule = FilterRules.rule(method: method, host: upstream.host, path: upstream.path) else {
            metrics.denied("endpoint")
            logger.info("denied portal endpoint", metadata: ["host": "\(upstream.host)", "path": "\(upstream.path)", "method": "\(method)"])
            return ProxyPages.page(
                .forbidden,
                "This part of the WB portal is not available through JoyCity. / Этот раздел портала WB недоступен через JoyCity."
            )
        }
        if rule.kind == .sessionManaged { return ProxyPages.lkStandIn(now: Date().timeIntervalSince1970) }
        if rule.kind == .balance { return try await ownBalance(request, user: principal.userId, account: account) }
        // The user's articles, where the endpoint is about articles.
        var assigned = Set<Int64>()
        if rule.kind.needsArticles {
            let (articles, cached) = try await articles.articles(user: principal.userId, account: account)
            metrics.cache("articles", hit: cached)
            assigned = articles
        }
        if rule.kind == .articlePath {
            // Media of an article: only the user's.
            guard let nm = FilterRules.articleInPath(upstream.path), assigned.contains(nm) else {
                metrics.denied("foreign_media")
                return ProxyPages.page(.forbidden, "This is not one of your articles this month. / Это не ваш артикул в этом месяце.")
            }
        }

        // WB's public static assets: from memory while fresh, revalidated when stale.
        let pathAndQuery = upstream.path + (request.uri.query.map { "?\($0)" } ?? "")
        let cacheKey = StaticCache.key(host: upstream.host, pathAndQuery: pathAndQuery)
        var validators: [(String, String)] = []
        let cachable = rule.kind == .noArticleData || rule.kind == .articlePath
        let kept = cachable && request.method == .get ? staticCache.lookup(cacheKey) : nil
        if let kept {
            if kept.isFresh(.now) {
                metrics.cache("static", hit: true)
                return cached(kept, request: request)
            }
            if let etag = kept.etag { validators.append(("If-None-Match", etag)) }
            if let lastModified = kept.lastModified { validators.append(("If-Modified-Since", lastModified)) }
        }

        let filter = ArticleFilter(assigned: assigned, seal: seal)

        // The request body: cursors opened; a change naming someone else's article never leaves.
        var request = request
        var body = try await request.collectBody(upTo: configuration.maxBody)
        if case .articles(_, _, let mutating) = rule.kind, body.readableBytes > 0 {
            guard let node = try? JSONCodec.parse(Array(body.readableBytesView)) else {
                metrics.denied("unreadable_request")
                return ProxyPages.page(.badRequest, "The request body is not JSON the article filter can read. / Тело запроса не читается.")
            }
            let opened = filter.openCursors(node)
            if mutating, request.method != .get {
                let others = filter.unassignedMentions(in: opened)
                if !others.isEmpty {
                    metrics.denied("foreign_change")
                    logger.info("refused a change naming unassigned articles", metadata: ["user": "\(principal.userId)", "count": "\(others.count)"])
                    return ProxyPages.page(
                        .forbidden,
                        "The change names articles that are not yours this month. / Изменение касается чужих артикулов."
                    )
                }
            }
            body = ByteBuffer(bytes: JSONCodec.write(opened))
        }

        // The account's WB session, server-side; one renewal and retry when WB says it ended.
        var session: PortalSession
        do {
            session = try await keeper.session(account)
        } catch let error as PortalSessionError {
            metrics.denied("session")
            return ProxyPages.session(error)
        }
        var reply: Upstream.Reply
        do {
            reply = try await send(request, body: body, host: upstream.host, pathAndQuery: pathAndQuery, session: session, validators: validators)
            if reply.sessionEnded, upstream.treatment != .verbatim {
                metrics.portalSession("retried")
                session = try await keeper.renew(account, after: session)
                reply = try await send(request, body: body, host: upstream.host, pathAndQuery: pathAndQuery, session: session)
                if reply.sessionEnded {
                    let reason = "\(upstream.host) answered \(reply.status.code) with a renewed session"
                    await keeper.markInvalid(account, reason)
                    metrics.portalSession("invalid")
                    return ProxyPages.session(.invalid(reason))
                }
            }
        } catch let error as PortalSessionError {
            metrics.denied("session")
            return ProxyPages.session(error)
        } catch {
            logger.warning("WB portal unreachable", metadata: ["host": "\(upstream.host)", "error": "\(error)"])
            return ProxyPages.page(.badGateway, "WB did not answer; try again shortly. / WB не ответил; попробуйте позже.")
        }
        await keeper.absorb(account, setCookies: reply.setCookies, host: upstream.host)
        if let kept, reply.status == .notModified, !validators.isEmpty {
            // Revalidated: WB's copy has not changed.
            metrics.cache("static", hit: true)
            staticCache.refresh(cacheKey, cacheControl: reply.headers.first(name: "Cache-Control"))
            return cached(kept, request: request)
        }

        switch shape(reply, rule: rule, upstream: upstream, filter: filter, assigned: assigned, logger: logger) {
        case .page(let page): return page
        case .content(let status, let headers, let bytes):
            // The last guard: nothing of WB's session leaves, whatever WB echoed.
            let headerText = ByteBuffer(string: headers.map { $0.value }.joined(separator: "\n"))
            if SecretScan.leaks(bytes, session.secrets) || SecretScan.leaks(headerText, session.secrets) {
                metrics.refused("credential")
                logger.error("an answer carried the account's WB credentials; refused", metadata: ["host": "\(upstream.host)"])
                return ProxyPages.page(.badGateway, "WB's answer cannot be shown. / Ответ WB нельзя показать.")
            }
            let control = headers[.cacheControl]
            if staticCache.cacheable(
                method: request.method,
                status: status,
                cacheControl: control,
                setsCookie: !reply.setCookies.isEmpty,
                bytes: bytes.readableBytes
            ), cachable {
                metrics.cache("static", hit: false)
                staticCache.store(cacheKey, status: status, headers: headers, body: bytes)
            }
            return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
        }
    }

    /// A kept static asset, or 304 when the browser's copy is the same.
    func cached(_ entry: StaticCache.Entry, request: Request) -> Response {
        if StaticCache.matches(entry, ifNoneMatch: request.headers[.ifNoneMatch], ifModifiedSince: request.headers[.ifModifiedSince]) {
            var headers = HTTPFields()
            for name in [HTTPField.Name.eTag, .lastModified, .cacheControl] { if let value = entry.headers[name] { headers[name] = value } }
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: entry.status, headers: entry.headers, body: .init(byteBuffer: entry.body))
    }

    /// One request upstream with the session's cookies and tokens.
    func send(
        _ request: Request,
        body: ByteBuffer,
        host: String,
        pathAndQuery: String,
        session: PortalSession,
        validators: [(String, String)] = []
    ) async throws -> Upstream.Reply {
        var outgoing = configuration.upstreamRequest(host: host, pathAndQuery: pathAndQuery, method: HTTPMethod(rawValue: request.method.rawValue))
        for name in [HTTPField.Name.contentType, .accept, .acceptLanguage, .ifNoneMatch, .ifModifiedSince] {
            if let value = request.headers[name] { outgoing.headers.replaceOrAdd(name: name.rawName, value: value) }
        }
        if !validators.isEmpty {
            // Revalidating the proxy's own copy: its validators, not the browser's.
            outgoing.headers.remove(name: "If-None-Match")
            outgoing.headers.remove(name: "If-Modified-Since")
            for (name, value) in validators { outgoing.headers.replaceOrAdd(name: name, value: value) }
        }
        PortalSessionKeeper.authorize(&outgoing, session: session, host: host)
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        let started = ContinuousClock.now
        let answer = try await http.execute(outgoing, timeout: .nanoseconds(configuration.upstreamTimeout.nanoseconds))
        let bytes = try await answer.body.collect(upTo: configuration.maxBody)
        metrics.upstream(host, .now - started)
        return Upstream.Reply(status: answer.status, headers: answer.headers, body: bytes)
    }

    /// `POST /__joycity__/validate` (the API only, with `X-Internal-Secret`; 404 to anyone else): checks portal
    /// credentials `{"cookies", "accessToken"?}` against WB; answers `{"valid":true,"cookies","accessToken"}` (what to
    /// store: WB rotates the cookies on a refresh), 422 `{"valid":false,"reason"}`, or 503 when WB cannot be reached.
    func validate(_ request: Request) async throws -> Response {
        guard let secret = configuration.internalSecret, let given = request.headers[.xInternalSecret], SharedSecret.equals(given, secret) else {
            return ProxyPages.page(.notFound, "No WB host is served here. / Такого адреса нет.")
        }
        var request = request
        let body = try await request.collectBody(upTo: 64 << 10)
        struct Credentials: Decodable {
            var cookies: String
            var accessToken: String?
        }
        func answer(_ status: HTTPResponse.Status, _ fields: [String: Any]) -> Response {
            let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
            return Response(
                status: status,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        guard let credentials = try? JSONCoding.decode(Credentials.self, from: Data(body.readableBytesView)) else {
            return answer(.badRequest, ["valid": false, "reason": "the body must be {\"cookies\": \"name=value; …\", \"accessToken\"?: …}"])
        }
        do {
            let (cookies, token) = try await keeper.validate(cookies: credentials.cookies, accessToken: credentials.accessToken)
            return answer(.ok, ["valid": true, "cookies": cookies, "accessToken": token])
        } catch PortalSessionError.invalid(let reason) {
            return answer(.init(code: 422), ["valid": false, "reason": reason])
        } catch {
            return answer(.serviceUnavailable, ["valid": false, "reason": "\(error)"])
        }
    }

    /// The balance widget's answer: the user's own figures (``PortalBalance``) in WB's content-card envelope.
    func ownBalance(_ request: Request, user: Int64, account: Int64) async throws -> Response {
        let query = request.uri.queryParameters
        do {
            let (from, to) = try balance.period(dateFrom: query["dateFrom"].map(String.init), dateTo: query["dateTo"].map(String.init))
            let figures = try await balance.figures(user: user, account: account, from: from, to: to)
            let data = try JSONEncoder().encode(["data": figures])
            var body = Array(data.dropLast())
            body += Array(#","error":false,"errorText":""}"#.utf8)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        } catch PortalBalance.Problem.badPeriod(let problem) {
            let body = #"{"data":null,"error":true,"errorText":"\#(problem) / неверный период"}"#
            return Response(
                status: .badRequest,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body))
            )
        }
    }

    func principal(_ token: String) async throws -> Principal {
        let verified = try await tokens.verify(token)
        return try await gate.principal(sessionID: verified.sessionID, userID: verified.userID)
    }

    /// The browser's request id when it is a sane one (≤ 64 of `A–Z a–z 0–9 - _ .`), otherwise a new one.
    static func requestID(_ given: String?) -> String {
        if let given, !given.isEmpty, given.utf8.count <= 64,
            given.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 || $0 == 46 })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }

    /// The origin the browser used: its `Host`, over HTTPS when a TLS-terminating proxy in front says so
    /// (`X-Forwarded-Proto: https`).
    static func publicOrigin(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        return (secure ? "https://" : "http://") + host
    }
}

/// What WB answered.
enum Upstream {
    struct Reply {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer
        var setCookies: [String] { headers["Set-Cookie"] }
        /// 401 or 403: WB says the portal session ended (WB-API.md §4.2).
        var sessionEnded: Bool { status == .unauthorized || status == .forbidden }
    }
}
