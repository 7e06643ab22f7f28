import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// WB's public static assets (scripts, styles, images of the SPA) as the browser gets them — already URL-rewritten —
/// kept in memory up to `capacity` bytes (least recently used go first). Only `GET` answers WB marks `public` or
/// `immutable` (never `private` or `no-store`) and that carry no cookie are kept, so nothing account- or user-specific
/// is shared. A fresh entry (within `max-age`, or `immutable`) is served without asking WB; a stale one is
/// revalidated with its `ETag`/`Last-Modified`; a browser's `If-None-Match`/`If-Modified-Since` that matches gets 304.
final class StaticCache: Sendable {
    struct Entry: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
        var etag: String?
        var lastModified: String?
        var freshUntil: ContinuousClock.Instant
        var immutable: Bool
        var used: UInt64

        var size: Int { body.readableBytes + 512 }
        func isFresh(_ now: ContinuousClock.Instant) -> Bool { immutable || now < freshUntil }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var tick: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    static func key(host: String, pathAndQuery: String) -> String { host + pathAndQuery }

    /// The entry for `key`, marked used.
    func lookup(_ key: String) -> Entry? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.tick += 1
            entry.used = state.tick
            state.entries[key] = entry
            return entry
        }
    }

    /// Whether an answer may be kept: a `GET` 200 that WB marks public or immutable, without cookies, not too big.
    func cacheable(method: HTTPRequest.Method, status: HTTPResponse.Status, cacheControl: String?, setsCookie: Bool, bytes: Int) -> Bool {
        guard capacity > 0, method == .get, status == .ok, !setsCookie, bytes <= capacity / 8, let control = cacheControl?.lowercased() else {
            return false
        }
        if control.contains("private") || control.contains("no-store") || control.contains("no-cache") { return false }
        return control.contains("public") || control.contains("immutable")
    }

    /// Keeps an answer (its headers as the browser gets them); evicts the least recently used beyond capacity.
    func store(_ key: String, status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer, now: ContinuousClock.Instant = .now) {
        let control = (headers[.cacheControl] ?? "").lowercased()
        let entry = Entry(
            status: status,
            headers: headers,
            body: body,
            etag: headers[.eTag],
            lastModified: headers[.lastModified],
            freshUntil: now + .seconds(Self.maxAge(control)),
            immutable: control.contains("immutable"),
            used: 0
        )
        state.withLock { state in
            if let old = state.entries[key] { state.bytes -= old.size }
            state.tick += 1
            var stored = entry
            stored.used = state.tick
            state.entries[key] = stored
            state.bytes += stored.size
            while state.bytes > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used }) {
                state.bytes -= oldest.value.size
                state.entries[oldest.key] = nil
            }
        }
    }

    /// After WB answered 304 to a revalidation: fresh again for the new `max-age`.
    func refresh(_ key: String, cacheControl: String?, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard var entry = state.entries[key] else { return }
            if let cacheControl { entry.headers[.cacheControl] = cacheControl }
            entry.freshUntil = now + .seconds(Self.maxAge((entry.headers[.cacheControl] ?? "").lowercased()))
            state.entries[key] = entry
        }
    }

    /// Bytes held.
    var bytes: Int { state.withLock { $0.bytes } }

    /// Whether the browser's validators match the entry (it may answer 304).
    static func matches(_ entry: Entry, ifNoneMatch: String?, ifModifiedSince: String?) -> Bool {
        if let ifNoneMatch, let etag = entry.etag {
            return ifNoneMatch.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }
        }
        if let ifModifiedSince, let lastModified = entry.lastModified { return ifModifiedSince == lastModified }
        return false
    }

    static func maxAge(_ control: String) -> Int64 {
        for part in control.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == "max-age" || pair[0] == "s-maxage", let seconds = Int64(pair[1]) { return max(0, seconds) }
        }
        return 0
    }
}
