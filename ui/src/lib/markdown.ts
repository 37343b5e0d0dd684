/**
 * A deliberately small Markdown renderer for agent replies: escapes all HTML first, then handles
 * fenced code, inline code, bold, italics, links (http/https only), headings, lists and paragraphs.
 */
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function inline(s: string): string {
  return s
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[\s(])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
}

export function renderMarkdown(src: string): string {
  const out: string[] = [];
  const parts = esc(src).split(/^```[^\n]*\n?/m);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      out.push(`<pre><code>${part.replace(/\n$/, "")}</code></pre>`);
      return;
    }
    for (const block of part.split(/\n{2,}/)) {
      const lines = block.split("\n").filter((l) => l.trim() !== "");
      if (!lines.length) continue;
      if (lines.every((l) => /^\s*([-*]|\d+\.)\s+/.test(l))) {
        const ordered = /^\s*\d+\./.test(lines[0]!);
        out.push(
          `<${ordered ? "ol" : "ul"}>${lines.map((l) => `<li>${inline(l.replace(/^\s*([-*]|\d+\.)\s+/, ""))}</li>`).join("")}</${ordered ? "ol" : "ul"}>`,
        );
      } else if (/^#{1,4}\s/.test(lines[0]!) && lines.length === 1) {
        const level = lines[0]!.match(/^#+/)![0].length + 2;
        out.push(`<h${level}>${inline(lines[0]!.replace(/^#+\s/, ""))}</h${level}>`);
      } else out.push(`<p>${lines.map(inline).join("<br>")}</p>`);
    }
  });
  return out.join("");
}
