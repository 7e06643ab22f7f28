import FleetCore
import Foundation
import S3
import Testing

/// The hand-written Signature V4 signer against AWS's published example, and the S3 configuration checks.
@Suite("S3 signing and configuration")
struct S3SignerTests {
    @Test("reproduces AWS's documented SigV4 example (IAM ListUsers, 2015-08-30)")
    func awsExample() {
        let signer = SigV4(
            accessKeyID: "AKIDEXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "iam"
        )
        let headers = signer.sign(
            method: "GET",
            host: "iam.amazonaws.com",
            path: "/",
            query: [("Version", "2010-05-08"), ("Action", "ListUsers")],
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            payloadSHA256: SigV4.emptySHA256,
            date: Date(timeIntervalSince1970: 1_440_938_160),
            includeContentHash: false
        )
        let authorization = headers.first { $0.0 == "authorization" }?.1
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
        #expect(headers.contains { $0 == ("x-amz-date", "20150830T123600Z") })
    }

    @Test("encoding: unreserved characters stay, everything else is %XX; slashes in keys stay")
    func encoding() {
        #expect(SigV4.encode("a b+c/d~e_f.g-h") == "a%20b%2Bc%2Fd~e_f.g-h")
        #expect(SigV4.encode("backups/db/x ü.dump", keepSlash: true) == "backups/db/x%20%C3%BC.dump")
        #expect(SigV4.canonicalQuery([("uploads", ""), ("prefix", "a/b")], keepSlash: true) == "prefix=a/b&uploads=")
    }

    @Test("configuration refuses what cannot work, naming the variable")
    func configuration() {
        #expect(throws: S3Error.self) { try S3Configuration(endpoint: "ftp://x", bucket: "bucket", accessKeyID: "a", secretAccessKey: "b") }
        #expect(throws: S3Error.self) { try S3Configuration(endpoint: "http://x", bucket: "Bad_Bucket", accessKeyID: "a", secretAccessKey: "b") }
        let parsed = try? S3Configuration(endpoint: "http://127.0.0.1:9000/", bucket: "backups", accessKeyID: "a", secretAccessKey: "b")
        #expect(parsed?.host == "127.0.0.1")
        #expect(parsed?.port == 9000)
    }

    @Test("environment: S3_* variables, the AWS SDK names as fallbacks, missing ones named")
    func environment() throws {
        let aws = try S3Configuration(
            environment: EnvironmentReader(values: [
                "S3_BUCKET": "backups", "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "eu-west-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
            ])
        )
        #expect(aws.accessKeyID == "AKIA1")
        #expect(aws.region == "eu-west-1")
        #expect(aws.port == 9000)
        #expect(aws.pathStyle)
        let own = try S3Configuration(
            environment: EnvironmentReader(values: [
                "S3_BUCKET": "backups", "S3_ACCESS_KEY_ID": "mine", "AWS_ACCESS_KEY_ID": "theirs", "S3_SECRET_ACCESS_KEY": "s",
            ])
        )
        #expect(own.accessKeyID == "mine")
        #expect(own.host == "s3.us-east-1.amazonaws.com")
        #expect(!own.pathStyle)
        for (missing, values) in [
            ("S3_BUCKET", ["S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "b"]),
            ("S3_ACCESS_KEY_ID", ["S3_BUCKET": "backups", "S3_SECRET_ACCESS_KEY": "b"]),
            ("S3_SECRET_ACCESS_KEY", ["S3_BUCKET": "backups", "S3_ACCESS_KEY_ID": "a"]),
            ("S3_BUCKET", ["S3_BUCKET": "No", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "b"]),
        ] {
            #expect {
                _ = try S3Configuration(environment: EnvironmentReader(values: values))
            } throws: { error in
                (error as? ConfigurationError)?.variable == missing
            }
        }
    }
}
