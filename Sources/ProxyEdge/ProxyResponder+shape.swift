import FleetCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

extension ProxyResponder {
    /// An answer for the browser: WB's content (filtered or rewritten), or a page of the proxy's own.
    enum Shaped {
        case page(Response)
        case content(HTTPResponse.Status, HTTPFields, ByteBuffer)
    }

    /// WB's answer as the browser may see it: filtered to the user's articles (JSON and Excel), URL-rewritten (other
    /// text), byte for byte (the anti-bot host, binaries). `Set-Cookie` is never passed; what cannot be read is
    /// refused.
    func shape(
        _ reply: Upstream.Reply,
        rule: FilterRules.Rule,
        upstream: (host: String, path: String, treatment: PortalHosts.Treatment),
        filter: ArticleFilter,
        assigned: Set<Int64>,
        logger: Logger
    ) -> Shaped {
        var headers = HTTPFields()
        let contentType = (reply.headers.first(name: "Content-Type") ?? "").lowercased()
        for name in ["Content-Type", "Cache-Control", "ETag", "Last-Modified", "Expires"] {
            if let value = reply.headers.first(name: name), let field = HTTPField.Name(name) { headers[field] = value }
        }
        if let location = reply.headers.first(name: "Location") { headers[.location] = URLRewriter.location(location) }
        headers[.xContentTypeOptions] = "nosniff"
        let status = HTTPResponse.Status(code: Int(reply.status.code))
        let encoding = (reply.headers.first(name: "Content-Encoding") ?? "identity").lowercased()
        let encoded = encoding != "identity" && !encoding.isEmpty
        if upstream.treatment == .verbatim {
            if encoded { headers[.contentEncoding] = encoding }
            return .content(status, headers, reply.body)
        }
        switch rule.kind {
        case .articles(let counters, let cursors, _):
            guard reply.body.readableBytes > 0 else { return .content(status, headers, reply.body) }
            guard !encoded else {
                metrics.refused("encoding")
                logger.warning("an article endpoint answered in an encoding the filter cannot read", metadata: ["encoding": "\(encoding)"])
                return .page(unfilterable())
            }
            let started = ContinuousClock.now
            if contentType.contains("spreadsheetml") {
                // An Excel export: other managers' rows removed, the workbook rebuilt.
                guard let workbook = XLSXArticleFilter.filter(Data(reply.body.readableBytesView), assigned: assigned) else {
                    metrics.refused("xlsx")
                    return .page(
                        ProxyPages.page(
                            .badGateway,
                            "WB's Excel file cannot be filtered, so it is not shown. / Файл Excel от WB нельзя отфильтровать."
                        )
                    )
                }
                metrics.filtered("xlsx", .now - started)
                if let disposition = reply.headers.first(name: "Content-Disposition") { headers[.contentDisposition] = disposition }
                return .content(status, headers, ByteBuffer(bytes: workbook))
            }
            let outcome: ArticleFilter.BytesOutcome?
            if contentType.contains("json") {
                outcome = try? filter.apply(bytes: Array(reply.body.readableBytesView), counters: counters, cursors: cursors)
            } else {
                outcome = nil
            }
            guard let outcome else {
                metrics.refused("unreadable")
                logger.warning(
                    "an article endpoint answered what the filter cannot read",
                    metadata: ["host": "\(upstream.host)", "path": "\(upstream.path)", "status": "\(reply.status.code)"]
                )
                return .page(unfilterable())
            }
            switch outcome {
            case .refused:
                metrics.refused("foreign")
                return .page(ProxyPages.page(.forbidden, "This is not one of your articles this month. / Это не ваш артикул в этом месяце."))
            case .filtered(let filtered):
                // What is left is rewritten too: card photos, links to other hosts stay on the origin.
                let bytes = ByteBuffer(bytes: URLRewriter.rewrite(filtered))
                metrics.filtered("json", .now - started)
                return .content(status, headers, bytes)
            }
        case .noArticleData, .denied, .sessionManaged, .balance, .articlePath:
            let rewritable = ["text/", "javascript", "json", "xml"].contains { contentType.contains($0) }
            if encoded {
                // Text that cannot be rewritten would send the browser to WB itself.
                guard !rewritable else { return .page(unfilterable()) }
                headers[.contentEncoding] = encoding
                return .content(status, headers, reply.body)
            }
            guard rewritable else { return .content(status, headers, reply.body) }
            var text = URLRewriter.rewrite(Array(reply.body.readableBytesView))
            if contentType.contains("text/html") {
                // A portal page: the routing script first, held to this origin by the proxy's policy and WB's own.
                text = PortalScript.inject(into: text)
                headers.append(HTTPField(name: .contentSecurityPolicy, value: PortalScript.policy))
                for policy in reply.headers["Content-Security-Policy"] {
                    headers.append(HTTPField(name: .contentSecurityPolicy, value: PortalScript.rewritePolicy(policy)))
                }
            }
            return .content(status, headers, ByteBuffer(bytes: text))
        }
    }

    func unfilterable() -> Response {
        ProxyPages.page(
            .badGateway,
            "WB answered in a form JoyCity cannot filter, so it is not shown. / Ответ WB нельзя отфильтровать, поэтому он не показан."
        )
    }
}
