import Testing

@testable import ProxyEdge

@Suite("URL rewriting onto the one origin")
struct URLRewriterTests {
    static func rewrite(_ text: String) -> String { String(decoding: URLRewriter.rewrite(Array(text.utf8)), as: UTF8.self) }

    @Test("HTML, JS, CSS and JSON: absolute, protocol-relative and JSON-escaped URLs of every host; whole hosts only")
    func bodies() {
        let cases: [(String, String)] = [
            (#"<script src="https://seller.wildberries.ru/static/app.js"></script>"#, #"<script src="/static/app.js"></script>"#),
            (#"fetch("https://seller-content.wildberries.ru/ns/viewer/x",{})"#, #"fetch("/__content__/ns/viewer/x",{})"#),
            (#"url(//basket-12.wbbasket.ru/vol1/a.webp)"#, #"url(/__basket__/12/vol1/a.webp)"#),
            (#"{"u":"https:\/\/cmp.wildberries.ru\/campaigns"}"#, #"{"u":"\/__cmp__\/campaigns"}"#),
            (#"a='HTTPS://SELLER-AUTH.WILDBERRIES.RU/auth?x=1'"#, #"a='/__auth__/auth?x=1'"#),
            (#"href="https://seller.wildberries.ru""#, #"href="/""#),
            (#"location="https://cmp.wb.ru/x""#, #"location="/__cmp__/x""#),
            (#"send("https://a.wb.ru/collect")"#, #"send("/__dropped__/a.wb.ru/collect")"#),
            (#"https://seller.wildberries.ru.example.com/x"#, #"https://seller.wildberries.ru.example.com/x"#),
            (#"https://example.com/https://seller.wildberries.ru"#, #"https://example.com//"#),
            (
                #"/login?redirect_url=https%3A%2F%2Fseller.wildberries.ru%2Fstock-control&x=1"#,
                #"/login?redirect_url=%2Fstock-control&x=1"#
            ),
            (#"r=https%3a%2f%2fcmp.wildberries.ru&y"#, #"r=%2F__cmp__&y"#),
            (#"// comment //seller.wildberries.ru"#, #"// comment /"#),
            ("no urls here", "no urls here"),
            (#"https://evil.example.com/seller.wildberries.ru"#, #"https://evil.example.com/seller.wildberries.ru"#),
        ]
        for (input, expected) in cases { #expect(Self.rewrite(input) == expected, "\(input)") }
        #expect(URLRewriter.location("https://seller-supply.wildberries.ru/ns/sm-draft/create") == "/__supply__/ns/sm-draft/create")
        #expect(URLRewriter.location("/relative/path") == "/relative/path")
    }
}

@Suite("the page script and policy")
struct PortalScriptTests {
    @Test("the script goes first into <head> (not <header>), or first of all without one")
    func injection() {
        func inject(_ html: String) -> String { String(decoding: PortalScript.inject(into: Array(html.utf8)), as: UTF8.self) }
        let tag = #"<script src="/__joycity__/portal.js"></script>"#
        #expect(inject("<html><HEAD lang=\"ru\"><title>x</title></HEAD></html>") == "<html><HEAD lang=\"ru\">\(tag)<title>x</title></HEAD></html>")
        #expect(inject("<html><body><header>h</header></body></html>") == tag + "<html><body><header>h</header></body></html>")
        #expect(inject("<head>") == "<head>" + tag)
    }

    @Test("WB's policy: its hosts become 'self', dropped hosts and report endpoints go, others stay")
    func policy() {
        let rewritten = PortalScript.rewritePolicy(
            "default-src 'self' https://seller.wildberries.ru *.wildberries.ru; img-src https://basket-01.wbbasket.ru data:; connect-src https://a.wb.ru wss://cmp.wildberries.ru https://cdn.example.com; report-uri https://marketplace-sentry.wb.ru/r"
        )
        #expect(rewritten == "default-src 'self'; img-src 'self' data:; connect-src 'self' https://cdn.example.com", "\(rewritten)")
        #expect(PortalScript.classify("wildberries.ru.evil.com") == .other)
        #expect(PortalScript.source.contains(#""antibot.wildberries.ru":"/__antibot__""#) && PortalScript.source.contains("/__dropped__/"))
    }
}
