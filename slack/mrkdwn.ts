/**
 * Markdown (what models write) to Slack mrkdwn. Code fences and inline code are cut out first so
 * nothing inside them is reformatted (fence language tags are dropped: Slack shows them as text);
 * `& < >` are escaped everywhere, because Slack treats them as control characters even in code.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const PLACEHOLDER = (i: number) => `\u0000${i}\u0000`;

export function markdownToMrkdwn(markdown: string): string {
  const kept: string[] = [];
  const keep = (s: string) => {
    kept.push(s);
    return PLACEHOLDER(kept.length - 1);
  };
  let text = markdown.replace(/\r\n/g, "\n");
  // Fenced code blocks (a fence still open at the end, as while streaming, runs to the end).
  text = text.replace(/```[^\n`]*\n([\s\S]*?)(?:```|$(?![\s\S]))/g, (_m, code: string) =>
    keep(`\`\`\`\n${escapeSlack(code.replace(/\n$/, ""))}\n\`\`\``),
  );
  text = text.replace(/`([^`\n]+)`/g, (_m, code: string) => keep(`\`${escapeSlack(code)}\``));
  // Links and images before escaping, so their URLs are taken verbatim.
  text = text.replace(/!?\[([^\]\n]+)\]\((\S+?)(?:\s+"[^"]*")?\)/g, (_m, label: string, url: string) =>
    keep(`<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeSlack(label).replace(/\|/g, "¦")}>`),
  );
  text = text.replace(/<(https?:\/\/[^>\s]+)>/g, (_m, url: string) => keep(`<${url}>`));
  // User and channel mentions the agent wrote stay mentions; `<!here>`-style broadcasts are escaped.
  text = text.replace(/<([@#][UWC][A-Z0-9]{2,})(?:\|[^>]*)?>/g, (_m, id: string) => keep(`<${id}>`));
  text = escapeSlack(text);
  const lines = text.split("\n").map((line) => {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) return `\u0001${heading[1]!.replace(/\*\*/g, "").replace(/__/g, "")}\u0001`;
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return "──────────";
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) line = `${bullet[1]}• ${bullet[2]}`;
    return line;
  });
  text = lines.join("\n");
  // Emphasis: bold first (through a marker so the italic pass leaves it alone), then italic, strike.
  text = text.replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, "\u0001$1\u0001").replace(/__(?=\S)([^_\n]+?)__/g, "\u0001$1\u0001");
  text = text.replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?!\w)/g, "$1_$2_");
  text = text.replace(/\u0001/g, "*");
  text = text.replace(/~~(?=\S)([^~\n]+?)~~/g, "~$1~");
  return text.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => kept[Number(i)]!);
}

/**
 * Splits mrkdwn into pieces of at most `limit` characters (Unicode code points), preferring line
 * breaks, never splitting an escape like `&amp;`, and closing/reopening a code block cut in two.
 */
export function splitMrkdwn(text: string, limit: number): string[] {
  const chars = Array.from(text);
  if (chars.length <= limit) return [text];
  const out: string[] = [];
  let start = 0;
  let reopen = false;
  while (start < chars.length) {
    const prefix: string = reopen ? "```\n" : "";
    const budget = limit - prefix.length - 4; // room for a closing fence
    let end = Math.min(chars.length, start + budget);
    if (end < chars.length) {
      const window = chars.slice(start, end).join("");
      const nl = window.lastIndexOf("\n");
      const sp = window.lastIndexOf(" ");
      const cut = nl > budget / 2 ? nl + 1 : sp > budget / 2 ? sp + 1 : -1;
      if (cut > 0) end = start + Array.from(window.slice(0, cut)).length;
      else {
        const amp = window.lastIndexOf("&");
        if (amp > window.length - 6 && !window.slice(amp).includes(";")) end = start + Array.from(window.slice(0, amp)).length;
      }
    }
    let piece: string = prefix + chars.slice(start, end).join("");
    const fences: number = (piece.match(/```/g) ?? []).length;
    reopen = fences % 2 === 1 && end < chars.length;
    if (reopen) piece = piece.replace(/\n?$/, "\n```");
    out.push(piece);
    start = end;
  }
  return out;
}
