import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small S3 client (AsyncHTTPClient + ``SigV4``): the object, listing and multipart operations backups and
/// uploads need. Every failure is an ``S3Error`` whose kind says whether a retry can help.
public struct S3Client: Sendable {
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4

    /// Creates a client on `HTTPClient.shared`.
    public init(configuration: S3Configuration, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = http
        self.signer = SigV4(
            accessKeyID: configuration.accessKeyID,
            secretAccessKey: configuration.secretAccessKey,
            sessionToken: configuration.sessionToken,
            region: configuration.region,
            service: "s3"
        )
    }

    /// An object in a listing.
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int64
        /// As S3 wrote it (ISO 8601).
        public var lastModified: String
    }

    /// An unfinished multipart upload.
    public struct MultipartUpload: Sendable, Equatable {
        public var key: String
        public var uploadID: String
    }

    /// An object's size and user metadata (`x-amz-meta-*`, names lower-case without the prefix).
    public struct Head: Sendable, Equatable {
        public var size: Int64
        public var metadata: [String: String]

        /// Size and metadata from a HEAD or GET answer's headers.
        init(headers: HTTPHeaders) {
            size = Int64(headers.first(name: "content-length") ?? "") ?? 0
            metadata = [:]
            for header in headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
                metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
            }
        }
    }

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    // MARK: Buckets and objects

    /// Creates the bucket (tests and first-time setup); an existing bucket of ours is fine.
    public func createBucket() async throws {
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
                    .utf8
            )
        }
        do {
            _ = try await send("PUT", key: nil, body: body)
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    /// Uploads a small object in one request.
    public func putObject(
        key: String,
        bytes: [UInt8],
        contentType: String = "application/octet-stream",
        metadata: [String: String] = [:]
    ) async throws {
        _ = try await send("PUT", key: key, headers: [("content-type", contentType)] + Self.metadataHeaders(metadata), body: bytes)
    }

    /// An object's size and metadata.
    /// - Throws: ``S3Error`` `notFound` when there is no such object.
    public func head(key: String) async throws -> Head {
        let response = try await send("HEAD", key: key)
        return Head(headers: response.headers)
    }

    /// Streams an object: its head and its body as it arrives (never all in memory).
    public func get(key: String) async throws -> (head: Head, body: HTTPClientResponse.Body) {
        let response = try await execute("GET", key: key, query: [], headers: [], body: nil)
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw error(status: Int(response.status.code), body: body, operation: "GET \(key)")
        }
        return (Head(headers: response.headers), response.body)
    }

    /// Deletes an object (no error when it is already gone).
    public func delete(key: String) async throws {
        _ = try await send("DELETE", key: key)
    }

    /// Every object under `prefix`, in key order (follows continuation tokens).
    public func list(prefix: String) async throws -> [Object] {
        var objects: [Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let xml = try await send("GET", key: nil, query: query).text
            for item in XMLText.all("Contents", in: xml[...]) {
                guard let key = XMLText.first("Key", in: item) else { continue }
                objects.append(
                    Object(
                        key: key,
                        size: Int64(XMLText.first("Size", in: item) ?? "") ?? 0,
                        lastModified: XMLText.first("LastModified", in: item) ?? ""
                    )
                )
            }
            token = XMLText.first("IsTruncated", in: xml) == "true" ? XMLText.first("NextContinuationToken", in: xml) : nil
        } while token != nil
        return objects
    }

    // MARK: Multipart uploads

    /// Starts a multipart upload. → the upload id.
    public func createMultipartUpload(
        key: String,
        contentType: String = "application/octet-stream",
        metadata: [String: String] = [:]
    ) async throws -> String {
        let xml = try await send(
            "POST",
            key: key,
            query: [("uploads", "")],
            headers: [("content-type", contentType)] + Self.metadataHeaders(metadata)
        ).text
        guard let id = XMLText.first("UploadId", in: xml), !id.isEmpty else {
            throw S3Error(.protocolError, "S3 answered CreateMultipartUpload for \(key) without an UploadId")
        }
        return id
    }

    /// Uploads part `number` (1…10000; every part but the last at least 5 MiB). → its ETag.
    public func uploadPart(key: String, uploadID: String, number: Int, bytes: [UInt8]) async throws -> String {
        let response = try await send("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: bytes)
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(.protocolError, "S3 answered UploadPart \(number) of \(key) without an ETag")
        }
        return etag
    }

    /// Completes a multipart upload from its parts' numbers and ETags.
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts { xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(XMLText.escape(part.etag))</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let response = try await send(
            "POST",
            key: key,
            query: [("uploadId", uploadID)],
            headers: [("content-type", "application/xml")],
            body: Array(xml.utf8)
        )
        // S3 may answer 200 and still fail the completion in the body.
        let text = response.text
        if text.contains("<Error>") {
            throw error(status: 500, body: response.body, operation: "CompleteMultipartUpload \(key)")
        }
    }

    /// Aborts a multipart upload: S3 drops its parts.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        do {
            _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)])
        } catch let error as S3Error where error.kind == .notFound {
            return
        }
    }

    /// Unfinished multipart uploads under `prefix`.
    public func listMultipartUploads(prefix: String) async throws -> [MultipartUpload] {
        var uploads: [MultipartUpload] = []
        var keyMarker: String?
        var idMarker: String?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let idMarker { query.append(("upload-id-marker", idMarker)) }
            let xml = try await send("GET", key: nil, query: query).text
            for item in XMLText.all("Upload", in: xml[...]) {
                guard let key = XMLText.first("Key", in: item), let id = XMLText.first("UploadId", in: item) else { continue }
                uploads.append(MultipartUpload(key: key, uploadID: id))
            }
            if XMLText.first("IsTruncated", in: xml) == "true" {
                keyMarker = XMLText.first("NextKeyMarker", in: xml)
                idMarker = XMLText.first("NextUploadIdMarker", in: xml)
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return uploads
    }

    // MARK: Requests

    static func metadataHeaders(_ metadata: [String: String]) -> [(String, String)] {
        metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-\($0.key.lowercased())", $0.value) }
    }

    func send(
        _ method: String,
        key: String?,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> Response {
        let response = try await execute(method, key: key, query: query, headers: headers, body: body)
        let collected: ByteBuffer
        do {
            collected = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw S3Error(
                .unreachable,
                "the S3 answer to \(method) \(key ?? configuration.bucket) broke off: \(error) (S3_ENDPOINT \(configuration.endpointAuthority))"
            )
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            if method == "DELETE" && status == 404 && query.isEmpty { return Response(status: status, headers: response.headers, body: collected) }
            throw error(status: status, body: collected, operation: "\(method) \(key ?? configuration.bucket)")
        }
        return Response(status: status, headers: response.headers, body: collected)
    }

    func execute(
        _ method: String,
        key: String?,
        query: [(String, String)],
        headers: [(String, String)],
        body: [UInt8]?
    ) async throws -> HTTPClientResponse {
        let host = configuration.pathStyle ? configuration.endpointAuthority : "\(configuration.bucket).\(configuration.endpointAuthority)"
        var path = configuration.pathStyle ? "/\(SigV4.encode(configuration.bucket))" : ""
        if let key { path += "/" + SigV4.encode(key, keepSlash: true) }
        if path.isEmpty { path = "/" }
        let payload = body ?? []
        let signed = signer.sign(
            method: method,
            host: host,
            path: path,
            query: query,
            headers: headers,
            payloadSHA256: SigV4.hexSHA256(payload),
            date: Date(),
            keepSlashInQuery: true
        )
        let queryString = SigV4.canonicalQuery(query, keepSlash: true)
        var request = HTTPClientRequest(url: "\(configuration.scheme)://\(host)\(path)\(queryString.isEmpty ? "" : "?" + queryString)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        if body != nil || method == "PUT" || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: payload))
            request.headers.replaceOrAdd(name: "content-length", value: String(payload.count))
        }
        do {
            return try await http.execute(request, timeout: .nanoseconds(configuration.timeout.nanosecondsClamped))
        } catch let error as S3Error {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw S3Error(
                .unreachable,
                "could not reach S3 at \(configuration.scheme)://\(configuration.endpointAuthority) for \(method) \(key ?? configuration.bucket): \(error); is the endpoint up and S3_ENDPOINT right?"
            )
        }
    }

    func error(status: Int, body: ByteBuffer, operation: String) -> S3Error {
        let text = String(buffer: body)
        let code = XMLText.first("Code", in: text)
        let message = XMLText.first("Message", in: text) ?? (text.isEmpty ? "HTTP \(status)" : String(text.prefix(300)))
        let kind: S3Error.Kind
        if let code, S3Error.credentialCodes.contains(code) {
            kind = .credentials
        } else if status == 403 || status == 401 {
            kind = .credentials
        } else if status == 404 || code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload" {
            kind = .notFound
        } else if status >= 500 || code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" {
            kind = .server
        } else {
            kind = .rejected
        }
        var advice = ""
        switch kind {
        case .credentials: advice = "; check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY and the key's permissions"
        case .notFound where code == "NoSuchBucket": advice = "; create bucket \(configuration.bucket) or fix S3_BUCKET"
        default: break
        }
        return S3Error(kind, code: code, "S3 refused \(operation): \(code.map { "\($0): " } ?? "")\(message) (HTTP \(status))\(advice)")
    }
}

extension S3Client.Response {
    var text: String { String(buffer: body) }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
