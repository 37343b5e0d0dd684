// Server-sent events for the scripted model: a list of frames, optionally left open forever ("hang").

export type SseFrame = { event?: string; data: unknown };

export function sseResponse(frames: SseFrame[], options: { hang: boolean; onOpen?: (close: () => void) => void }): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const frame of frames) {
        const data = typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data);
        controller.enqueue(encoder.encode(`${frame.event ? `event: ${frame.event}\n` : ""}data: ${data}\n\n`));
      }
      if (!options.hang) {
        controller.close();
        return;
      }
      // Keep the response open; the client (the harness) decides when to give up.
      options.onOpen?.(() => {
        try {
          controller.close();
        } catch {
          // already closed by the client going away
        }
      });
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => {
      if (typeof part === "string") return part;
      if (part && typeof part === "object") {
        const record = part as Record<string, unknown>;
        if (typeof record.text === "string") return record.text;
        if (typeof record.content === "string" || Array.isArray(record.content)) return textOf(record.content);
        if (typeof record.output === "string") return record.output;
      }
      return "";
    })
    .join("\n");
}
