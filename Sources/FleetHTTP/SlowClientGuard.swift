import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// HTTP/1.1 with deadlines for slow clients, around Hummingbird's own channel: a request head (request line and
/// headers) must arrive in full within `headerTimeout` of its first byte (slowloris), and a body must not stall for
/// longer than `bodyTimeout`; either gets `408 Request Timeout` and the connection is closed. Idle connections
/// (no request in flight) close after `idleTimeout` (Hummingbird's idle handler).
public struct SlowClientGuard: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value
    let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration
    let headerTimeout: Duration
    let bodyTimeout: Duration

    /// A server builder for `Application(server:)`.
    public static func http1(idleTimeout: Duration, headerTimeout: Duration, bodyTimeout: Duration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            SlowClientGuard(responder: responder, idleTimeout: idleTimeout, headerTimeout: headerTimeout, bodyTimeout: bodyTimeout)
        }
    }

    /// Hummingbird's HTTP/1.1 channel, with the parts watcher of one connection after its HTTP codec.
    func channel(watching deadlines: Deadlines?) -> HTTP1Channel {
        HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: deadlines.map { [PartsWatcher(deadlines: $0)] } ?? [],
                idleTimeout: TimeAmount(idleTimeout)
            )
        )
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let deadlines = Deadlines(headerTimeout: TimeAmount(headerTimeout), bodyTimeout: TimeAmount(bodyTimeout))
        return channel.eventLoop.makeCompletedFuture {
            // First in the pipeline: it sees the raw bytes, before the HTTP decoder.
            try channel.pipeline.syncOperations.addHandler(RawBytesWatcher(deadlines: deadlines), position: .first)
        }.flatMap {
            self.channel(watching: deadlines).setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await channel(watching: nil).handle(value: value, logger: logger)
    }

    /// The state both watchers share; touched on the channel's event loop only.
    final class Deadlines: @unchecked Sendable {
        let headerTimeout: TimeAmount
        let bodyTimeout: TimeAmount
        /// Bytes of a request arrived whose head has not been decoded yet.
        var headPending = false
        /// Requests whose head was read and whose response has not ended.
        var inFlight = 0
        /// A request body is being read.
        var readingBody = false
        var timer: Scheduled<Void>?
        /// Where the 408 is written (below the HTTP encoder).
        var rawContext: ChannelHandlerContext?

        init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
        }

        func arm(_ amount: TimeAmount, on eventLoop: any EventLoop, reason: String) {
            timer?.cancel()
            timer = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: amount) { [self] in self.timeOut(reason) }
        }

        func disarm() {
            timer?.cancel()
            timer = nil
        }

        func timeOut(_ reason: String) {
            timer = nil
            guard let context = rawContext else { return }
            let body = #"{"error":{"code":"request_timeout","message":"\#(reason); the connection is closed"}}"#
            let head =
                "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
            var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.utf8.count)
            buffer.writeString(head)
            buffer.writeString(body)
            context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Starts the head deadline when the first byte of a request arrives.
    final class RawBytesWatcher: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let deadlines: Deadlines

        init(deadlines: Deadlines) { self.deadlines = deadlines }

        func handlerAdded(context: ChannelHandlerContext) { deadlines.rawContext = context }
        func handlerRemoved(context: ChannelHandlerContext) {
            deadlines.disarm()
            deadlines.rawContext = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if deadlines.inFlight == 0 && !deadlines.headPending {
                deadlines.headPending = true
                deadlines.arm(
                    deadlines.headerTimeout,
                    on: context.eventLoop,
                    reason: "the request headers did not arrive in time (API_HEADER_TIMEOUT)"
                )
            }
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            deadlines.disarm()
            context.fireChannelInactive()
        }
    }

    /// Ends the head deadline at the decoded head, keeps a body deadline while the body arrives, and notes when the
    /// response ends.
    final class PartsWatcher: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        let deadlines: Deadlines

        init(deadlines: Deadlines) { self.deadlines = deadlines }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let reason = "the request body stopped arriving (API_BODY_TIMEOUT)"
            switch unwrapInboundIn(data) {
            case .head:
                deadlines.headPending = false
                deadlines.inFlight += 1
                deadlines.readingBody = true
                deadlines.arm(deadlines.bodyTimeout, on: context.eventLoop, reason: reason)
            case .body:
                if deadlines.readingBody { deadlines.arm(deadlines.bodyTimeout, on: context.eventLoop, reason: reason) }
            case .end:
                deadlines.readingBody = false
                deadlines.disarm()
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) {
                deadlines.inFlight = max(0, deadlines.inFlight - 1)
                if deadlines.readingBody {
                    // Answered before the body was read (an early error): no deadline on the rest.
                    deadlines.readingBody = false
                    deadlines.disarm()
                }
            }
            context.write(data, promise: promise)
        }
    }
}
