import Foundation

/// Debian's nginx as a `proxy_pass` baseline in front of the fake portal: the shell's host at `/`, the services host
/// at `/__services__/` (the paths the proxy edge serves them at), keep-alive upstream connections, no access log.
/// Runs in the foreground from a directory of its own; ``stop()`` ends it by its PID.
final class NginxBaseline {
    let port: Int
    let directory: URL
    let process: Process
    var base: String { "http://127.0.0.1:\(port)" }

    init(upstreamPort: Int) throws {
        port = Int.random(in: 29_000...31_999)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-bench-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = """
            daemon off;
            worker_processes auto;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path \(directory.path)/body;
              proxy_temp_path \(directory.path)/proxy;
              fastcgi_temp_path \(directory.path)/fastcgi;
              uwsgi_temp_path \(directory.path)/uwsgi;
              scgi_temp_path \(directory.path)/scgi;
              upstream portal { server 127.0.0.1:\(upstreamPort); keepalive 64; }
              server {
                listen 127.0.0.1:\(port);
                location /__services__/ {
                  proxy_pass http://portal/;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host seller-services.wildberries.ru;
                }
                location / {
                  proxy_pass http://portal;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header Host seller.wildberries.ru;
                }
              }
            }
            """
        let file = directory.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        process = Process()
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw BenchError("nginx is not installed (apt-get install -y nginx-light)") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-c", file.path, "-p", directory.path, "-e", directory.path + "/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One `wrk` run and what it printed.
struct WrkRun {
    var requestsPerSecond: Double
    var p50Ms: Double
    var p99Ms: Double
    /// Non-2xx/3xx answers, connect, read, write and timeout errors.
    var errors: Int

    /// Runs `wrk -t2 -c<connections> -d<seconds>s --latency` on `url` with an optional `Cookie` header.
    static func run(url: String, header cookie: String?, connections: Int, seconds: Int) async throws -> WrkRun {
        let binary = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw BenchError("wrk is not installed (apt-get install -y wrk)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let cookie { arguments += ["-H", "Cookie: \(cookie)"] }
        process.arguments = arguments + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return try parse(output)
    }

    /// Reads `Requests/sec:`, the `--latency` distribution (50% and 99%), `Non-2xx or 3xx responses:` and
    /// `Socket errors:`.
    static func parse(_ output: String) throws -> WrkRun {
        var run = WrkRun(requestsPerSecond: .nan, p50Ms: .nan, p99Ms: .nan, errors: 0)
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("Requests/sec:"), let value = fields.last.flatMap(Double.init) { run.requestsPerSecond = value }
            if fields.count == 2, fields[0] == "50%" { run.p50Ms = milliseconds(fields[1]) }
            if fields.count == 2, fields[0] == "99%" { run.p99Ms = milliseconds(fields[1]) }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let value = fields.last.flatMap(Int.init) { run.errors += value }
            if line.hasPrefix("Socket errors:") {
                run.errors += fields.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        guard run.requestsPerSecond.isFinite else { throw BenchError("wrk printed no Requests/sec:\n\(output)") }
        return run
    }

    /// `812.00us`, `1.20ms`, `2.01s` in milliseconds.
    static func milliseconds(_ text: String) -> Double {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
            return (Double(text.dropLast(suffix.count)) ?? .nan) * scale
        }
        return .nan
    }
}
