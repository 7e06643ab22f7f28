import AsyncHTTPClient
import FleetAuth
import FleetCore
import FleetStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Answers one browser request of the portal: who (the platform session cookie), which WB host (the host table),
/// whether the endpoint may pass at all (the endpoint table, deny by default), then the upstream call with the
/// account's portal cookies added server-side, and the answer filtered to the user's articles or URL-rewritten.
/// WB's cookies never reach the browser; a body the filter cannot read is refused, never passed.
struct ProxyResponder: Sendable {
    let configuration: ProxyConfiguration
    let tokens: TokenIssuer
    let gate: SessionGate
    let accounts: AccountStore
    let articles: ArticleCache
    let seal: CursorSeal
    let http: HTTPClient
    let logger: Logger

    static let accessCookie = "joycity_access"

    func respond(_ request: Request) async throws -> Response {
        let path = request.uri.path
        if path == "/__joycity__/health" { return Self.plain(.ok, "ok") }
        if path.hasPrefix(URLRewriter.droppedPrefix + "/") { return Response(status: .noContent) }

        // Who.
        guard let token = request.cookies[Self.accessCookie]?.value, let principal = try? await principal(token) else {
            if (request.headers[.accept] ?? "").contains("text/html") {
                let next = path + (request.uri.query.map { "?\($0)" } ?? "")
                let target = configuration.signInURL + "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
                return Response(status: .found, headers: [.location: target])
            }
            return Self.page(.unauthorized, "Sign in to JoyCity first. / Сначала войдите в JoyCity.")
        }
        guard let account = principal.accountId else {
            return Self.page(
                .forbidden,
                "You work in no seller account; ask an admin to place you in one. / Вы не привязаны к кабинету продавца; обратитесь к администратору."
            )
        }

        // Where, and whether at all.
        guard let upstream = PortalHosts.upstream(proxyPath: path) else {
            return Self.page(.notFound, "No WB host is served at \(path). / Такого адреса нет.")
        }
        let method = request.method.rawValue
        guard let rule = FilterRules.rule(method: method, host: upstream.host, path: upstream.path) else {
            logger.info("denied portal endpoint", metadata: ["host": "\(upstream.host)", "path": "\(upstream.path)", "method": "\(method)"])
            return Self.page(
                .forbidden,
                "This part of the WB portal is not available through JoyCity. / Этот раздел портала WB недоступен через JoyCity."
            )
        }
        let assigned = try await articles.articles(user: principal.userId, account: account)
        let filter = ArticleFilter(assigned: assigned, seal: seal)

        // The request body: cursors opened; a change naming someone else's article never leaves.
        var request = request
        var body = try await request.collectBody(upTo: configuration.maxBody)
        if case .articles(_, _, let mutating) = rule.kind, body.readableBytes > 0 {
            guard let node = try? JSONCodec.parse(Array(body.readableBytesView)) else {
                return Self.page(.badRequest, "The request body is not JSON the article filter can read. / Тело запроса не читается.")
            }
            if mutating, request.method != .get {
                let others = filter.unassignedMentions(in: node)
                if !others.isEmpty {
                    logger.info("refused a change naming unassigned articles", metadata: ["user": "\(principal.userId)", "count": "\(others.count)"])
                    return Self.page(.forbidden, "The change names articles that are not yours this month. / Изменение касается чужих артикулов.")
                }
            }
            body = ByteBuffer(bytes: JSONCodec.write(filter.openCursors(node)))
        }

        // The account's portal session, server-side.
        guard let credentials = try await accounts.portalCredentials(id: account),
            let cookies = (try? JSONCoding.decode(PortalSession.self, from: credentials))?.cookies, !cookies.isEmpty
        else {
            return Self.page(
                .serviceUnavailable,
                "The seller account has no WB portal session yet; an admin sets it. / У кабинета нет сессии портала WB; её задаёт администратор."
            )
        }

        let pathAndQuery = upstream.path + (request.uri.query.map { "?\($0)" } ?? "")
        var outgoing = HTTPClientRequest(url: configuration.upstreamURL(host: upstream.host, pathAndQuery: pathAndQuery))
        outgoing.method = HTTPMethod(rawValue: method)
        if configuration.upstream != nil { outgoing.headers.replaceOrAdd(name: "Host", value: upstream.host) }
        for name in [HTTPField.Name.contentType, .accept, .acceptLanguage] {
            if let value = request.headers[name] { outgoing.headers.replaceOrAdd(name: name.rawName, value: value) }
        }
        outgoing.headers.replaceOrAdd(name: "Cookie", value: cookies)
        outgoing.headers.replaceOrAdd(name: "Origin", value: "https://seller.wildberries.ru")
        outgoing.headers.replaceOrAdd(name: "Referer", value: "https://seller.wildberries.ru/")
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        let answer: HTTPClientResponse
        let answerBody: ByteBuffer
        do {
            answer = try await http.execute(outgoing, timeout: .nanoseconds(configuration.upstreamTimeout.nanoseconds))
            answerBody = try await answer.body.collect(upTo: configuration.maxBody)
        } catch {
            logger.warning("WB portal unreachable", metadata: ["host": "\(upstream.host)", "error": "\(error)"])
            return Self.page(.badGateway, "WB did not answer; try again shortly. / WB не ответил; попробуйте позже.")
        }
        if answer.status == .unauthorized || answer.status == .forbidden, case .articles = rule.kind {
            return Self.page(.badGateway, "The WB portal session of this account has ended; an admin renews it. / Сессия портала WB закончилась.")
        }

        // The answer: filtered, rewritten, or (the anti-bot host) as it is.
        var headers = HTTPFields()
        let contentType = answer.headers.first(name: "Content-Type") ?? ""
        for name in ["Content-Type", "Cache-Control", "ETag", "Last-Modified", "Expires"] {
            if let value = answer.headers.first(name: name), let field = HTTPField.Name(name) { headers[field] = value }
        }
        if let location = answer.headers.first(name: "Location") { headers[.location] = URLRewriter.location(location) }
        headers[.xContentTypeOptions] = "nosniff"
        let status = HTTPResponse.Status(code: Int(answer.status.code))
        if upstream.treatment == .verbatim { return Response(status: status, headers: headers, body: .init(byteBuffer: answerBody)) }
        switch rule.kind {
        case .articles(let counters, let cursors, _):
            guard answerBody.readableBytes > 0 else { return Response(status: status, headers: headers) }
            if contentType.lowercased().contains("spreadsheetml") {
                // An Excel export: other managers' rows removed, the workbook rebuilt.
                guard let workbook = XLSXArticleFilter.filter(Data(answerBody.readableBytesView), assigned: assigned) else {
                    return Self.page(.badGateway, "WB's Excel file cannot be filtered, so it is not shown. / Файл Excel от WB нельзя отфильтровать.")
                }
                if let disposition = answer.headers.first(name: "Content-Disposition") { headers[.contentDisposition] = disposition }
                return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: workbook)))
            }
            guard contentType.lowercased().contains("json"), let node = try? JSONCodec.parse(Array(answerBody.readableBytesView)) else {
                logger.warning(
                    "an article endpoint answered what the filter cannot read",
                    metadata: ["host": "\(upstream.host)", "path": "\(upstream.path)"]
                )
                return Self.page(
                    .badGateway,
                    "WB answered in a form JoyCity cannot filter, so it is not shown. / Ответ WB нельзя отфильтровать, поэтому он не показан."
                )
            }
            switch filter.apply(node, counters: counters, cursors: cursors) {
            case .refused:
                return Self.page(.forbidden, "This is not one of your articles this month. / Это не ваш артикул в этом месяце.")
            case .filtered(let filtered):
                return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONCodec.write(filtered))))
            }
        case .noArticleData, .denied:
            let rewritable = ["text/", "javascript", "json", "xml"].contains { contentType.lowercased().contains($0) }
            let bytes = rewritable ? ByteBuffer(bytes: URLRewriter.rewrite(Array(answerBody.readableBytesView))) : answerBody
            return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
        }
    }

    func principal(_ token: String) async throws -> Principal {
        let verified = try await tokens.verify(token)
        return try await gate.principal(sessionID: verified.sessionID, userID: verified.userID)
    }

    /// A small page in both languages (the browser shows it where the portal would have been).
    static func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let html =
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>JoyCity</title></head><body><p>\(XMLEntities.escape(message))</p></body></html>"
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The part of an account's portal credentials the proxy sends: its session cookies (`name=value; …`).
struct PortalSession: Decodable {
    var cookies: String?
}
