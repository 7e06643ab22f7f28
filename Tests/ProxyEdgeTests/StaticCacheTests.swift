import FleetHTTP
import HTTPTypes
import NIOCore
import Testing

@testable import ProxyEdge

@Suite("the static asset cache: only public answers, bounded, fresh or revalidated")
struct StaticCacheTests {
    @Test("only GET 200s marked public or immutable, without cookies and not too big, are kept")
    func cacheable() {
        let cache = StaticCache(capacity: 8 << 20)
        #expect(cache.cacheable(method: .get, status: .ok, cacheControl: "public, max-age=60", setsCookie: false, bytes: 10))
        #expect(cache.cacheable(method: .get, status: .ok, cacheControl: "max-age=31536000, immutable", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: "max-age=60", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: "public, private", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: "public, no-store", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: nil, setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .post, status: .ok, cacheControl: "public", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .notFound, cacheControl: "public", setsCookie: false, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: "public", setsCookie: true, bytes: 10))
        #expect(!cache.cacheable(method: .get, status: .ok, cacheControl: "public", setsCookie: false, bytes: 2 << 20))
        #expect(!StaticCache(capacity: 0).cacheable(method: .get, status: .ok, cacheControl: "public", setsCookie: false, bytes: 1))
    }

    @Test("memory stays bounded, least recently used first; fresh by max-age or immutable; validators match")
    func boundedAndFresh() {
        let cache = StaticCache(capacity: 3 * (1000 + 512))
        let start = ContinuousClock.now
        for name in ["a", "b", "c"] {
            cache.store(
                name,
                status: .ok,
                headers: [.cacheControl: "public, max-age=60", .eTag: "\"\(name)\""],
                body: ByteBuffer(repeating: 1, count: 1000),
                now: start
            )
        }
        _ = cache.lookup("a")
        cache.store("d", status: .ok, headers: [.cacheControl: "immutable"], body: ByteBuffer(repeating: 2, count: 1000), now: start)
        #expect(cache.lookup("b") == nil && cache.lookup("a") != nil && cache.lookup("c") != nil && cache.lookup("d") != nil)
        #expect(cache.bytes <= cache.capacity)

        let entry = cache.lookup("a")!
        #expect(entry.isFresh(start + .seconds(59)) && !entry.isFresh(start + .seconds(61)))
        #expect(cache.lookup("d")!.isFresh(start + .seconds(86_400 * 400)))
        #expect(StaticCache.matches(entry, ifNoneMatch: "\"x\", \"a\"", ifModifiedSince: nil))
        #expect(!StaticCache.matches(entry, ifNoneMatch: "\"x\"", ifModifiedSince: nil))
        #expect(!StaticCache.matches(entry, ifNoneMatch: nil, ifModifiedSince: nil))
        cache.refresh("a", cacheControl: "public, max-age=600", now: start + .seconds(100))
        #expect(cache.lookup("a")!.isFresh(start + .seconds(600)))
        #expect(StaticCache.maxAge("public, s-maxage=5") == 5 && StaticCache.maxAge("max-age=-3") == 0 && StaticCache.maxAge("public") == 0)
    }
}

@Suite("the proxy's own pages speak the browser's language")
struct ProxyPagesTests {
    @Test("Accept-Language picks Russian or English (English by default); the other language follows")
    func language() {
        #expect(PreferredLanguage.from(acceptLanguage: "ru-RU,ru;q=0.9,en;q=0.8") == "ru")
        #expect(PreferredLanguage.from(acceptLanguage: "en-US,en;q=0.9,ru;q=0.8") == "en")
        #expect(PreferredLanguage.from(acceptLanguage: "de-DE, ru;q=0.5") == "ru")
        #expect(PreferredLanguage.from(acceptLanguage: nil) == "en" && PreferredLanguage.from(acceptLanguage: "fr") == "en")
        let texts = [ProxyPages.$language.withValue("ru") { ProxyPages.html("Not yours. / Не ваш.") }, ProxyPages.html("Not yours. / Не ваш.")]
        #expect(texts[0].contains(#"<html lang="ru">"#) && texts[0].contains("<p>Не ваш.</p>") && texts[0].contains("<small>Not yours.</small>"))
        #expect(texts[1].contains(#"<html lang="en">"#) && texts[1].contains("<p>Not yours.</p>") && texts[1].contains("<small>Не ваш.</small>"))
    }
}
