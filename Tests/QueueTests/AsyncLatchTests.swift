import FleetCore
import Testing

/// The latch that replaces polling loops (worker shutdown, job sleeps, store readiness).
@Suite("Async latch")
struct AsyncLatchTests {
    @Test("a signal wakes every waiter at once; a later wait returns at once")
    func signalWakesAll() async {
        let latch = AsyncLatch()
        let start = ContinuousClock.now
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { await latch.wait(until: .now + .seconds(30)) } }
            try? await Task.sleep(for: .milliseconds(50))
            latch.signal()
            var woken = 0
            for await signalled in group where signalled { woken += 1 }
            #expect(woken == 50)
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(await latch.wait() && latch.isSignalled)
    }

    @Test("a wait ends unsignalled at its deadline, or when its task is cancelled")
    func deadlineAndCancellation() async {
        let latch = AsyncLatch()
        let start = ContinuousClock.now
        #expect(await latch.wait(until: .now + .milliseconds(100)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(90))
        #expect(await latch.wait(until: .now) == false)
        let waiter = Task { await latch.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(ContinuousClock.now - start < .seconds(5))
        latch.signal()
        #expect(await latch.wait(until: .now))
    }
}
