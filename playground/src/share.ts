// The page's state in its URL, so that a link shares it: the source (deflated, base64url), or
// the path of an unchanged file of models/, the model of the file and the tab.

export interface PageState {
  source: string;
  /** the file of models/ the source is (unchanged), or a name for an edited one */
  file: string;
  model?: string;
  tab?: string;
}

const bytesToBase64url = (bytes: Uint8Array): string => {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const base64urlToBytes = (text: string): Uint8Array => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};

async function through(bytes: Uint8Array, stream: GenericTransformStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/**
 * The hash of a URL holding `state`: `#file=models/xor.nn&model=xor&tab=train` for a file of
 * models/ as it is (`known`), else the source deflated (`z=`), or plain where the browser cannot
 * compress (`src=`), followed by the file's name (`file=`, the name diagnostics give).
 */
export async function encodeState(state: PageState, known: boolean): Promise<string> {
  const params = new URLSearchParams();
  if (!known) {
    const utf8 = new TextEncoder().encode(state.source);
    if (typeof CompressionStream === "function")
      params.set("z", bytesToBase64url(await through(utf8, new CompressionStream("deflate-raw"))));
    else params.set("src", bytesToBase64url(utf8));
  }
  params.set("file", state.file);
  if (state.model) params.set("model", state.model);
  if (state.tab) params.set("tab", state.tab);
  return `#${params.toString()}`;
}

/**
 * The state a hash holds; `source` is undefined where it names a file (`file=`) the caller looks
 * up, and the result is null for a hash that holds no source and no file.
 */
export async function decodeState(
  hash: string,
): Promise<(Omit<PageState, "source"> & { source?: string }) | null> {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const z = params.get("z");
  const src = params.get("src");
  const file = params.get("file");
  let source: string | undefined;
  try {
    if (z !== null)
      source = new TextDecoder().decode(
        await through(base64urlToBytes(z), new DecompressionStream("deflate-raw")),
      );
    else if (src !== null) source = new TextDecoder().decode(base64urlToBytes(src));
  } catch {
    return null; // a damaged link: the page starts from its default
  }
  if (source === undefined && file === null) return null;
  const model = params.get("model");
  const tab = params.get("tab");
  return {
    ...(source !== undefined ? { source } : {}),
    file: file ?? "edited.nn",
    ...(model ? { model } : {}),
    ...(tab ? { tab } : {}),
  };
}
