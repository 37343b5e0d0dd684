/**
 * A child's stdout or stderr pipe, read to its end from the moment the child starts. A pipe nobody
 * reads fills (64 KB on Linux) and then blocks the child's next write, so a chatty LAP would hang
 * mid-test. What was read is kept only in part: the first and last `keep` characters, enough for a
 * start-up banner and for the message of a test that failed.
 */
export class ChildOutput {
  private head = "";
  private tail = "";
  private dropped = 0;
  private waiters: Array<{ pattern: RegExp; resolve: (text: string) => void }> = [];
  /** Resolves when the pipe closes (the child exited and every byte was read). */
  readonly finished: Promise<string>;

  constructor(
    stream: ReadableStream<Uint8Array>,
    private readonly keep = 16_384,
  ) {
    this.finished = this.pump(stream);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<string> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) this.add(decoder.decode(chunk, { stream: true }));
    } catch {
      // the child was killed mid-write: what was read stays
    }
    this.add(decoder.decode());
    const text = this.text();
    for (const w of this.waiters.splice(0)) w.resolve(text);
    return text;
  }

  private add(s: string) {
    if (!s) return;
    if (this.head.length < this.keep) {
      const room = this.keep - this.head.length;
      this.head += s.slice(0, room);
      s = s.slice(room);
    }
    this.tail += s;
    if (this.tail.length > this.keep) {
      this.dropped += this.tail.length - this.keep;
      this.tail = this.tail.slice(-this.keep);
    }
    const text = this.text();
    this.waiters = this.waiters.filter((w) => !(w.pattern.test(text) && (w.resolve(text), true)));
  }

  /** The first and last `keep` characters read so far, with a marker where some were left out. */
  text(): string {
    return this.dropped ? `${this.head}\n[… ${this.dropped} characters left out …]\n${this.tail}` : this.head + this.tail;
  }

  /**
   * Resolves with the text once it matches `pattern`; rejects (with what was read) when the pipe
   * closes first or `ms` pass. The pipe keeps being drained either way.
   */
  waitFor(pattern: RegExp, ms: number, what = "the child"): Promise<string> {
    if (pattern.test(this.text())) return Promise.resolve(this.text());
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${what} ${why}:\n${this.text()}`));
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        fail(`printed no ${pattern} within ${ms} ms`);
      }, ms);
      const done = (text: string) => {
        clearTimeout(timer);
        if (pattern.test(text)) resolve(text);
        else fail(`closed its output before printing ${pattern}`);
      };
      this.waiters.push({ pattern, resolve: done });
    });
  }
}
