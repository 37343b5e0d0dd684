// The images and documents a request carries, in whichever wire format's own block (chat
// `image_url`/`file`, Anthropic `image`/`document`, Responses `input_image`/`input_file`): lets a test
// see that an attachment reached the provider as the format's native multimodal input.

export type RecordedMedia = { block: string; mediaType: string; data: string };

const fromDataUrl = (url: unknown) => {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(String(url ?? ""));
  return m ? { mediaType: m[1]!, data: m[2]! } : undefined;
};

export function mediaIn(body: unknown): RecordedMedia[] {
  const out: RecordedMedia[] = [];
  const walk = (v: unknown, depth: number) => {
    if (!v || typeof v !== "object" || depth > 12) return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, depth + 1));
    const o = v as Record<string, any>;
    let found: { mediaType: string; data: string } | undefined;
    if (o.type === "image_url") found = fromDataUrl(typeof o.image_url === "string" ? o.image_url : o.image_url?.url);
    else if (o.type === "input_image") found = fromDataUrl(o.image_url);
    else if (o.type === "file") found = fromDataUrl(o.file?.file_data);
    else if (o.type === "input_file") found = fromDataUrl(o.file_data);
    else if ((o.type === "image" || o.type === "document") && o.source?.type === "base64")
      found = { mediaType: String(o.source.media_type), data: String(o.source.data) };
    if (found) out.push({ block: String(o.type), ...found });
    else for (const x of Object.values(o)) walk(x, depth + 1);
  };
  walk(body, 0);
  return out;
}
