import FleetCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxy's own answers: a small page in English and Russian where the portal would have been, and plain text.
enum ProxyPages {
    /// The language the current request prefers (`ru` when its `Accept-Language` names Russian first, else `en`).
    @TaskLocal static var language = "en"

    /// A page saying what happened and what to do, never cached. `message` is "English / Русский": the request's
    /// language leads, the other follows smaller.
    static func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let html = html(message)
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// The page's HTML in the request's language, the other language after it.
    static func html(_ message: String) -> String {
        let parts = message.components(separatedBy: " / ")
        let english = parts.first ?? message
        let russian = parts.count > 1 ? parts[1...].joined(separator: " / ") : english
        let (first, firstLang, second, secondLang) = language == "ru" ? (russian, "ru", english, "en") : (english, "en", russian, "ru")
        let other = first == second ? "" : "<p lang=\"\(secondLang)\"><small>\(XMLEntities.escape(second))</small></p>"
        return
            "<!doctype html><html lang=\"\(firstLang)\"><head><meta charset=\"utf-8\"><title>JoyCity</title></head><body><p>\(XMLEntities.escape(first))</p>\(other)</body></html>"
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The page for an account without a usable WB portal session.
    static func session(_ error: PortalSessionError) -> Response {
        switch error {
        case .missing:
            page(
                .serviceUnavailable,
                "The seller account has no WB portal session yet; an admin sets it. / У кабинета нет сессии портала WB; её задаёт администратор."
            )
        case .invalid:
            page(
                .badGateway,
                "WB ended the portal session of this seller account; an admin signs in to WB again and stores the new cookies. / WB завершил сессию портала этого кабинета; администратору нужно войти в WB заново и сохранить новые cookies."
            )
        case .unreachable:
            page(.badGateway, "WB did not renew the portal session; try again shortly. / WB не продлил сессию портала; попробуйте позже.")
        }
    }

    /// What the SPA gets when it asks for an LK token: a stand-in (the real token stays in the proxy, which adds it to
    /// every request), shaped as WB answers, valid as long as WB's.
    static func lkStandIn(now: Double) -> Response {
        let body = #"{"jsonrpc":"2.0","id":"json-rpc_1","result":{"data":{"token":"joycity-managed","userID":0,"exp":\#(Int(now) + 300)}}}"#
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}

/// Whether a body carries any of the session's secrets (the last guard before a byte reaches the browser).
enum SecretScan {
    /// True when `body` contains one of `secrets` (those of 8 bytes or more; shorter ones are not secrets).
    static func leaks(_ body: ByteBuffer, _ secrets: [String]) -> Bool {
        let needles = secrets.filter { $0.utf8.count >= 8 }
        guard !needles.isEmpty, body.readableBytes > 0 else { return false }
        return body.withUnsafeReadableBytes { haystack in
            needles.contains { needle in
                Array(needle.utf8).withUnsafeBytes { bytes in contains(haystack, bytes) }
            }
        }
    }

    /// Whether `needle` (not empty) occurs in `haystack`: `memchr` to each candidate first byte, `memcmp` there.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard let base = haystack.baseAddress, let first = needle.first, needle.count <= haystack.count else { return false }
        var offset = 0
        let last = haystack.count - needle.count
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle.baseAddress!, needle.count) == 0 { return true }
            offset = at + 1
        }
        return false
    }
}
