/** Real bytes for attachment tests (docs/sessions.md "Attachments"): a 1×1 PNG, a tiny PDF, and helpers. */
export const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
export const PDF_TINY = Buffer.from(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
).toString("base64");
export const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]).toString("base64");

export const imageBlock = (data = PNG_1X1, media_type = "image/png") => ({ type: "image", source: { type: "base64", media_type, data } });
export const documentBlock = (data = PDF_TINY, media_type = "application/pdf", title?: string) => ({
  type: "document",
  source: { type: "base64", media_type, data },
  ...(title ? { title } : {}),
});

/** A PNG header followed by `bytes` of padding: valid magic numbers at any size. */
export const pngOfSize = (bytes: number) => {
  const b = Buffer.alloc(bytes);
  Buffer.from(PNG_1X1, "base64").copy(b);
  return b.toString("base64");
};
