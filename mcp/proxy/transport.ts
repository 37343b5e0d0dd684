import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** The SDK transport's private state this class reads (SDK 1.32.x; pinned in package.json). */
interface TransportInternals {
  _enableJsonResponse: boolean;
  _eventStore?: unknown;
  _requestToStreamMapping: Map<unknown, string>;
  _streamMapping: Map<string, { resolveJson?: unknown }>;
}

/**
 * A single request that cannot produce progress notifications is answered as plain JSON instead of
 * an SSE stream (the spec lets the server choose per request); streaming a one-event response costs
 * more CPU than the rest of the proxy hop. Requests with a progress token keep SSE so progress flows.
 *
 * The SDK only has a per-transport switch, so it is flipped around the synchronous parts of
 * `handleRequest` (stream registration) and `send` (response delivery). That holds only without an
 * event store and with the body passed pre-parsed: both are checked, else plain SDK behaviour.
 */
export class JsonWhenPossibleTransport extends WebStandardStreamableHTTPServerTransport {
  /** Requests that must stream anyway: a tools/call of a client the upstream may ask things mid-call. */
  streamed: (method: string) => boolean = () => false;

  private get internals(): TransportInternals {
    return this as unknown as TransportInternals;
  }

  private supported(): boolean {
    const i = this.internals;
    return (
      typeof i._enableJsonResponse === "boolean" &&
      i._requestToStreamMapping instanceof Map &&
      i._streamMapping instanceof Map &&
      !i._eventStore
    );
  }

  override handleRequest(
    req: Request,
    options?: Parameters<WebStandardStreamableHTTPServerTransport["handleRequest"]>[1],
  ): Promise<Response> {
    const body = options?.parsedBody as { id?: unknown; method?: unknown; params?: { _meta?: { progressToken?: unknown } } } | undefined;
    const plain =
      req.method === "POST" &&
      this.supported() &&
      body !== undefined &&
      !Array.isArray(body) &&
      body.id !== undefined &&
      typeof body.method === "string" &&
      body.method !== "initialize" &&
      !this.streamed(body.method) &&
      body.params?._meta?.progressToken === undefined;
    if (!plain) return super.handleRequest(req, options);
    this.internals._enableJsonResponse = true;
    try {
      // Runs synchronously up to registering the JSON stream (no awaits before it with parsedBody).
      return super.handleRequest(req, options);
    } finally {
      this.internals._enableJsonResponse = false;
    }
  }

  override send(message: JSONRPCMessage, options?: Parameters<WebStandardStreamableHTTPServerTransport["send"]>[1]): Promise<void> {
    if (!this.supported()) return super.send(message, options);
    const id = "id" in message && ("result" in message || "error" in message) ? message.id : options?.relatedRequestId;
    const streamId = id === undefined ? undefined : this.internals._requestToStreamMapping.get(id);
    const json = streamId !== undefined && Boolean(this.internals._streamMapping.get(streamId)?.resolveJson);
    if (!json) return super.send(message, options);
    this.internals._enableJsonResponse = true;
    try {
      // Without an event store, delivery to the JSON stream happens before send's first await.
      return super.send(message, options);
    } finally {
      this.internals._enableJsonResponse = false;
    }
  }
}
