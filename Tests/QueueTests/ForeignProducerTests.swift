import FleetCore
import FleetTesting
import Foundation
import Queue
import Testing

/// A producer in another language, written from docs/wire-format.md alone: redis-py enqueues plain, delayed, unique
/// and follow-up jobs (plain `XADD` and `FCALL joycity_v1_enqueue`) and finds their outcomes where the doc says.
@Suite("Foreign producer")
struct ForeignProducerTests {
    static let producer = #"""
        import json, os, sys, time
        import redis

        r = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        P, G, S = os.environ["PREFIX"], "workers", os.environ["SET"]
        payload = json.dumps({"set": S})
        now_ms = lambda: int(time.time() * 1000)
        out = {}

        # Plain job: XADD, then register the queue and count it, as the doc's recipe says.
        r.xadd(f"{P}:q:default", {"v": "1", "id": "PY-PLAIN-1", "type": "queue.diagnostic", "payload": payload})
        r.sadd(f"{P}:queues", "default")
        r.hincrby(f"{P}:q:default:stats", "enqueued", 1)

        def unit(job_id, run_at=0, unique="", unique_ttl=86400000, debounce="", extra=()):
            fields = ["v", "1", "id", job_id, "type", "queue.diagnostic", "payload", payload, *extra]
            return ["default", job_id, str(run_at), unique, str(unique_ttl), debounce, str(len(fields)), *fields]

        def enqueue(*units):
            args = [P, G, str(len(units))]
            for u in units: args += u
            return r.fcall("joycity_v1_enqueue", 0, *args)

        out["delayed"] = enqueue(unit("PY-DELAYED-1", run_at=now_ms() + 400))
        out["unique"] = enqueue(unit("PY-UNIQUE-1", unique="py-u"), unit("PY-UNIQUE-2", unique="py-u"))
        child = [{"type": "queue.diagnostic", "payload": payload, "id": "PY-CHILD-1"}]
        out["parent"] = enqueue(unit("PY-PARENT-1", extra=("next", json.dumps(child))))
        try:
            enqueue(unit("PY-BAD-1", unique_ttl=0))
            out["bad"] = "accepted"
        except redis.ResponseError as error:
            out["bad"] = str(error)

        def state(job_id):
            record = r.hget(f"{P}:job:{job_id}", "state")
            if record: return record
            for bucket in r.zrangebyscore(f"{P}:q:default:done", now_ms(), "+inf"):
                done = r.hget(bucket, job_id)
                if done: return json.loads(done)["state"]
            return None

        wanted = ["PY-PLAIN-1", "PY-DELAYED-1", "PY-UNIQUE-1", "PY-PARENT-1", "PY-CHILD-1"]
        deadline = time.time() + 20
        while time.time() < deadline and any(state(j) != "completed" for j in wanted):
            time.sleep(0.1)
        out["states"] = {j: state(j) for j in wanted}
        print(json.dumps(out))
        sys.exit(0 if all(s == "completed" for s in out["states"].values()) else 1)
        """#

    @Test("redis-py enqueues plain, delayed, unique and follow-up jobs from the doc's recipe; a Swift worker runs them")
    func pythonProducer() async throws {
        try await TestRedis.withQueue { queue in
            let set = "\(queue.configuration.prefix):ran"
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: .testing()) { _ in
                #expect(
                    await eventually {
                        try await queue.redis.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", QueueFunctions.libraryName)).array?.isEmpty
                            == false
                    }
                )
                let (status, text) = try runPython(
                    Self.producer,
                    environment: ["REDIS_URL": try TestRedis.url().description, "PREFIX": queue.configuration.prefix, "SET": set]
                )
                #expect(status == 0, "\(text)")
                let result = try #require(
                    try JSONSerialization.jsonObject(with: Data((text.split(separator: "\n").last ?? "").utf8)) as? [String: Any]
                )
                #expect((result["delayed"] as? [[String]])?.first?[1] == "delayed")
                #expect((result["unique"] as? [[String]])?.map { $0[1] } == ["queued", "duplicate"])
                #expect((result["unique"] as? [[String]])?.last?[0] == "PY-UNIQUE-1", "a duplicate answers the holder's id")
                #expect((result["bad"] as? String)?.contains("uniqueTTLms") == true)
                #expect(try await members(set, queue).isSuperset(of: ["PY-PLAIN-1", "PY-DELAYED-1", "PY-UNIQUE-1", "PY-PARENT-1", "PY-CHILD-1"]))
                #expect(try await queue.stats("default").counters["enqueued"] == 5)
            }
        }
    }

    @Test("a worker loads the functions library again when Redis lost it")
    func reloadsFunctions() async throws {
        try await TestRedis.withQueue { queue in
            var configuration = QueueWorker.Configuration.testing()
            configuration.maintenanceInterval = .milliseconds(100)
            try await withWorker(queue: queue, registry: diagnosticRegistry(), configuration: configuration) { _ in
                let listed = {
                    try await queue.redis.send(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", QueueFunctions.libraryName)).array?.isEmpty == false
                }
                #expect(await eventually(listed))
                try await queue.redis.send(RedisCommand("FUNCTION", "DELETE", QueueFunctions.libraryName))
                #expect(await eventually(listed))
            }
        }
    }
}
